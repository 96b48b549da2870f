import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelVersion } from '../../src/contract/pipeline';
import { FixedMembership, TargetShare } from '../../src/server/coordination/members';
import type { RetrainRequestView } from '../../src/contract/retrainRequests';
import type { PipelineRepository } from '../../src/server/pipeline/store/repository';
import { SqlitePipelineRepository } from '../../src/server/pipeline/store/sqliteRepository';
import type { RangeQuerier } from '../../src/server/pipeline/watchRunner';
import { openPostgresStore, type PostgresStore } from '../../src/server/store/postgres';
import { PostgresPipelineRepository } from '../../src/server/store/postgres/pipeline';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { openSqliteStore, type SqliteStore } from '../../src/server/store/sqlite';
import { postgresForTests } from '../harness/postgres';
import { aTurn, buildPipeline, HOUR, MINUTE, TestClock, type Harness } from './helpers';
import { jobWatch } from '../harness/spikingFleet';
import { retrainQuerier, SHARED_NOW } from './sharedWatch';

// Replicas sharing retrain requests on one store, SQLite (one file) and a real PostgreSQL: one
// replica's retraining reads wait while held, and its claims can be refused, as a replica cut off
// from the store would see them.

/** A store replicas share: each gets its repository on it, with its own clock. */
export interface SharedStore {
  dataDir: string;
  repository(clock: TestClock): Promise<PipelineRepository>;
}

/**
 * Both stores, by name, for describe.each; closed after the file's tests. Call it at the top of a
 * test file: it declares the file's hooks.
 */
export function sharedStores(prefix: string): Array<[string, () => Promise<SharedStore>]> {
  const opened: Array<SqliteStore | PostgresStore> = [];
  // Declared first, so it runs before the server stops.
  afterAll(async () => {
    for (const s of opened.splice(0)) {
      await s.close();
    }
  });
  const postgres = postgresForTests();
  let databases = 0;
  return [
    [
      'SQLite',
      async () => {
        const dataDir = mkdtempSync(join(tmpdir(), `fp-${prefix}-`));
        return {
          dataDir,
          repository: async (clock) => {
            const store = openSqliteStore(dataDir, clock.now);
            opened.push(store);
            return new SqlitePipelineRepository(store.db, () => clock.now());
          },
        };
      },
    ],
    [
      'PostgreSQL',
      async () => {
        const url = await postgres().createDatabase(`${prefix.replaceAll('-', '_')}${++databases}`);
        return {
          dataDir: mkdtempSync(join(tmpdir(), `fp-${prefix}-`)),
          repository: async (clock) => {
            const store = await openPostgresStore(url, {
              secrets: ephemeralSecretBox(),
              limits: { maxConnections: 3 },
            });
            opened.push(store);
            return new PostgresPipelineRepository(store.pool, store.where, 4, () => clock.now());
          },
        };
      },
    ],
  ];
}

/** Watches as the config file holds them (jobWatch's, changed). */
type Watches = Array<Record<string, unknown>>;

/** A retraining's read of a few targets (narrowedWatch's `and on(...)`). */
export const retrainingRead = (query: string): boolean => query.includes(' and on(');

/** A watch cycle's read: the watch's queries as written. */
export const cycleRead = (query: string): boolean => !retrainingRead(query);

/** A gate the calls a test picks wait at while it is held. */
class Gate {
  private gate?: { reached: () => void; release: Promise<void>; open: () => void };
  /** Resolves once a call waits at the gate. */
  reached = Promise.resolve();

  hold(): void {
    let open!: () => void;
    const release = new Promise<void>((resolve) => (open = resolve));
    let reached!: () => void;
    this.reached = new Promise<void>((resolve) => (reached = resolve));
    this.gate = { reached, release, open };
  }

  release(): void {
    this.gate?.open();
    this.gate = undefined;
  }

  /** What a call waits for now: the gate's release while it is held, else nothing. */
  protected waiting(): Promise<void> | undefined {
    const gate = this.gate;
    gate?.reached();
    return gate?.release;
  }
}

/** The fleet's reads (retrainQuerier) that `which` picks wait while held: a query Prometheus does not answer. */
export class HeldReads extends Gate implements RangeQuerier {
  constructor(private readonly which: (query: string) => boolean) {
    super();
  }

  queryRange: RangeQuerier['queryRange'] = async (q) => {
    const waiting = this.which(q.query) ? this.waiting() : undefined;
    if (waiting) {
      await waiting;
    }
    return retrainQuerier.queryRange(q);
  };
}

/** Claims a replica sends: each kept, so the test can wait for the store's answer; refused while `refusing`. */
export class Claims {
  sent: Array<Promise<unknown>> = [];
  refusing = false;

  /** The repository, its claims going through this. */
  of(repo: PipelineRepository): PipelineRepository {
    return new Proxy(repo, {
      get: (target, name) => {
        const value: unknown = Reflect.get(target, name, target);
        if (typeof value !== 'function') {
          return value;
        }
        return (...args: unknown[]) => {
          if (name !== 'claimRetraining') {
            return value.apply(target, args);
          }
          const claim = this.refusing
            ? Promise.reject(new Error('connect ECONNREFUSED'))
            : (value.apply(target, args) as Promise<unknown>);
          this.sent.push(claim);
          return claim;
        };
      },
    });
  }
}

/**
 * pod-a, whose retraining reads wait at `slow` while held, and pod-b on one store: pod-a watches the
 * whole fleet alone, pod-b its share, so both hold pod-b's targets. Each has its own clock, so one can
 * die (its clock stops, its timers with it); both cycled three times.
 */
export function twoReplicas(shared: SharedStore, watches: Watches) {
  return replicas(shared, watches, ['pod-a'], retrainingRead);
}

/**
 * pod-a and pod-b on one store, agreeing that both are live: each holds its share alone. pod-a's
 * cycles' reads wait at `slow` while held (a cycle that lasts); otherwise as twoReplicas.
 */
export function agreeingReplicas(shared: SharedStore, watches: Watches) {
  return replicas(shared, watches, ['pod-a', 'pod-b'], cycleRead);
}

async function replicas(
  shared: SharedStore,
  watches: Watches,
  membersSeenByA: string[],
  heldOfA: (query: string) => boolean
) {
  const clocks = { a: new TestClock(SHARED_NOW), b: new TestClock(SHARED_NOW) };
  const claims = new Claims();
  const slow = new HeldReads(heldOfA);
  /** The live replicas pod-b sees: changed in place, a replica leaves. */
  const seenByB = ['pod-a', 'pod-b'];
  const a = buildPipeline({ watches }, clocks.a, {
    dataDir: shared.dataDir,
    extra: {
      querierFor: () => slow,
      ownership: new TargetShare(new FixedMembership('pod-a', membersSeenByA), clocks.a, 0),
      repository: claims.of(await shared.repository(clocks.a)),
    },
  });
  const b = buildPipeline({ watches }, clocks.b, {
    dataDir: shared.dataDir,
    extra: {
      querierFor: () => retrainQuerier,
      ownership: new TargetShare(new FixedMembership('pod-b', seenByB), clocks.b, 0),
      repository: await shared.repository(clocks.b),
    },
  });
  /** Moves the clocks of the live replicas on, a quarter hour at a time, each claim answered before the next. */
  const advance = async (ms: number, alive: TestClock[]) => {
    for (let left = ms; left > 0; left -= 15 * MINUTE) {
      alive.forEach((c) => c.advance(Math.min(left, 15 * MINUTE)));
      await Promise.allSettled(claims.sent);
    }
  };
  for (let c = 0; c < 3; c++) {
    await Promise.all([a.pipeline.runOnce(), b.pipeline.runOnce()]);
    await advance(MINUTE, [clocks.a, clocks.b]);
  }
  /** pod-a's cycles started held, for close to let go and await whatever the test left in flight. */
  const started: Array<Promise<void>> = [];
  /** Starts a cycle of pod-a's with `slow` held; once one of its reads waits there, hands back the run. */
  const holdRun = async (): Promise<{ run: Promise<void> }> => {
    slow.hold();
    const run = a.pipeline.runOnce();
    started.push(run);
    await slow.reached;
    return { run };
  };
  /**
   * A held cycle of pod-a's outlasts a claim's lapse (both clocks an hour and a minute on), the store
   * refusing pod-a's claims meanwhile when `claimsRefused`; then pod-b cycles. Hands back pod-a's run.
   */
  const outlastLapse = async ({ claimsRefused }: { claimsRefused: boolean }) => {
    const { run } = await holdRun();
    claims.refusing = claimsRefused;
    await advance(HOUR + MINUTE, [clocks.a, clocks.b]);
    await b.pipeline.runOnce();
    return { run };
  };
  /** For a test's finally: lets pod-a's held reads go, awaits its runs, and closes both replicas. */
  const close = async () => {
    slow.release();
    await Promise.all(started);
    await b.close();
    await a.close(true);
  };
  return { a, b, clocks, claims, slow, advance, seenByB, holdRun, outlastLapse, close };
}

/** The store as a replica sees it: while held, the calls `which` picks never answer. */
export class HeldStoreCalls extends Gate {
  /** Resolves once the held call, let go, has been answered. */
  answered: Promise<unknown> = Promise.resolve();

  constructor(private readonly which: (name: string | symbol, args: unknown[]) => boolean) {
    super();
  }

  of(repo: PipelineRepository): PipelineRepository {
    return new Proxy(repo, {
      get: (target, name) => {
        const value: unknown = Reflect.get(target, name, target);
        if (typeof value !== 'function') {
          return value;
        }
        return (...args: unknown[]) => {
          const waiting = this.which(name, args) ? this.waiting() : undefined;
          if (!waiting) {
            return value.apply(target, args);
          }
          this.answered = waiting.then(() => value.apply(target, args));
          return this.answered;
        };
      },
    });
  }
}

/**
 * pod-a, its store calls going through `hung` and its queries through `querierOfA`, and pod-b on one store,
 * watching jobWatch: pod-a watches the whole fleet alone, pod-b its share, so both hold pod-b's targets;
 * both cycled three times. `advance` moves both clocks on a quarter hour at a time, each claim pod-a sends
 * answered (and the renewal's own ending) before the next.
 */
export async function hungStoreReplicas(shared: SharedStore, hung: HeldStoreCalls, querierOfA: RangeQuerier) {
  const clocks = { a: new TestClock(SHARED_NOW), b: new TestClock(SHARED_NOW) };
  const claims = new Claims();
  const a = buildPipeline({ watches: [jobWatch] }, clocks.a, {
    dataDir: shared.dataDir,
    extra: {
      querierFor: () => querierOfA,
      ownership: new TargetShare(new FixedMembership('pod-a', ['pod-a']), clocks.a, 0),
      repository: claims.of(hung.of(await shared.repository(clocks.a))),
    },
  });
  const b = buildPipeline({ watches: [jobWatch] }, clocks.b, {
    dataDir: shared.dataDir,
    extra: {
      querierFor: () => retrainQuerier,
      ownership: new TargetShare(new FixedMembership('pod-b', ['pod-a', 'pod-b']), clocks.b, 0),
      repository: await shared.repository(clocks.b),
    },
  });
  const advance = async (ms: number) => {
    for (let left = ms; left > 0; left -= 15 * MINUTE) {
      [clocks.a, clocks.b].forEach((c) => c.advance(Math.min(left, 15 * MINUTE)));
      await Promise.allSettled(claims.sent);
      // A beat while a renewal is in flight sends none.
      await aTurn();
    }
  };
  for (let c = 0; c < 3; c++) {
    await Promise.all([a.pipeline.runOnce(), b.pipeline.runOnce()]);
    await advance(MINUTE);
  }
  return { a, b, clocks, claims, advance };
}

export const held = (h: Harness) => h.pipeline.targets({ limit: 1000 }).map((t) => t.id);

export const onDemand = async (h: Harness, target: string): Promise<ModelVersion[]> =>
  (await h.pipeline.models({ target, limit: 100 })).filter((m) => m.reason === 'on_demand');

export const requestOf = async (h: Harness, id: number): Promise<RetrainRequestView | undefined> =>
  (await h.pipeline.repo.retrainRequestList({ limit: 100 })).find((r) => r.id === id);

/** Queues a request for `target`, as the replica that received "Retrain now" does; resolves to its id. */
export async function queue(h: Harness, target: string, at: number): Promise<number> {
  const watch = target.slice(0, target.indexOf('{'));
  await h.pipeline.repo.queueRetraining([{ replica: 'pod-z', watch, target, requestedBy: 'pod-z', requestedAt: at }]);
  const [newest] = await h.pipeline.repo.retrainRequestList({ target, limit: 1 });
  return newest.id;
}
