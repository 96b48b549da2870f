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
import { jobWatch } from '../harness/spikingFleet';
import { postgresForTests } from '../harness/postgres';
import { buildPipeline, HOUR, MINUTE, TestClock, type Harness } from './helpers';
import { retrainQuerier, SHARED_NOW } from './sharedWatch';

// A request's claim must hold while its retraining lasts, however long (a large fleet's history):
// a lapsed claim is another replica's to take, which would run it again and race a second model
// version against the first. A dead replica's claim must still lapse. And a request must wait for
// what it waits for: the replica holding its target, which for a watch with a long step may learn
// the target a step later. Replicas on one store, SQLite (one file) and a real PostgreSQL.
const NOW = SHARED_NOW;
const opened: Array<SqliteStore | PostgresStore> = [];

// Declared first, so it runs before the server stops.
afterAll(async () => {
  for (const s of opened.splice(0)) {
    await s.close();
  }
});

const postgres = postgresForTests();
let databases = 0;

/** A store replicas share: each gets its repository on it, with its own clock. */
interface SharedStore {
  dataDir: string;
  repository(clock: TestClock): Promise<PipelineRepository>;
}

const stores: Array<[string, () => Promise<SharedStore>]> = [
  [
    'SQLite',
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'fp-retrain-claims-'));
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
      const url = await postgres().createDatabase(`claims${++databases}`);
      return {
        dataDir: mkdtempSync(join(tmpdir(), 'fp-retrain-claims-')),
        repository: async (clock) => {
          const store = await openPostgresStore(url, { secrets: ephemeralSecretBox(), limits: { maxConnections: 3 } });
          opened.push(store);
          return new PostgresPipelineRepository(store.pool, store.where, 4, () => clock.now());
        },
      };
    },
  ],
];

/** The retraining's reads of a few targets (narrowedWatch's `and on(...)`) wait while held. */
class HeldRetraining implements RangeQuerier {
  private gate?: { reached: () => void; release: Promise<void>; open: () => void };
  /** Resolves once a retraining's read waits at the gate. */
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

  queryRange: RangeQuerier['queryRange'] = async (q) => {
    const gate = this.gate;
    if (gate && q.query.includes(' and on(')) {
      gate.reached();
      await gate.release;
    }
    return retrainQuerier.queryRange(q);
  };
}

/** Claims a replica sends: each kept, so the test can wait for the store's answer; refused while `refusing`. */
class Claims {
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
async function twoReplicas(shared: SharedStore, watches: Array<typeof jobWatch>) {
  const clocks = { a: new TestClock(NOW), b: new TestClock(NOW) };
  const claims = new Claims();
  const slow = new HeldRetraining();
  const a = buildPipeline({ watches }, clocks.a, {
    dataDir: shared.dataDir,
    extra: {
      querierFor: () => slow,
      ownership: new TargetShare(new FixedMembership('pod-a', ['pod-a']), clocks.a, 0),
      repository: claims.of(await shared.repository(clocks.a)),
    },
  });
  const b = buildPipeline({ watches }, clocks.b, {
    dataDir: shared.dataDir,
    extra: {
      querierFor: () => retrainQuerier,
      ownership: new TargetShare(new FixedMembership('pod-b', ['pod-a', 'pod-b']), clocks.b, 0),
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
  return { a, b, clocks, claims, slow, advance };
}

const held = (h: Harness) => h.pipeline.targets({ limit: 1000 }).map((t) => t.id);

const onDemand = async (h: Harness, target: string): Promise<ModelVersion[]> =>
  (await h.pipeline.models({ target, limit: 100 })).filter((m) => m.reason === 'on_demand');

const requestOf = async (h: Harness, id: number): Promise<RetrainRequestView | undefined> =>
  (await h.pipeline.repo.retrainRequestList({ limit: 100 })).find((r) => r.id === id);

/** Queues a request for `target`, as the replica that received "Retrain now" does; resolves to its id. */
async function queue(h: Harness, target: string, at: number): Promise<number> {
  const watch = target.slice(0, target.indexOf('{'));
  await h.pipeline.repo.queueRetraining([{ replica: 'pod-z', watch, target, requestedBy: 'pod-z', requestedAt: at }]);
  const [newest] = await h.pipeline.repo.retrainRequestList({ target, limit: 1 });
  return newest.id;
}

describe.each(stores)('a retrain request claim, on %s', (_name, open) => {
  it('holds while a live replica runs it for hours, and lapses when that replica dies', async () => {
    const { a, b, clocks, slow, advance } = await twoReplicas(await open(), [jobWatch]);
    let running: Promise<void> | undefined;
    try {
      const target = held(b)[0];
      expect(held(a)).toContain(target);

      // pod-a takes the request; its retraining lasts two hours.
      const long = await queue(a, target, clocks.a.now());
      slow.hold();
      running = a.pipeline.runOnce();
      await slow.reached;
      expect(await requestOf(a, long)).toEqual(expect.objectContaining({ state: 'running', claimedBy: 'pod-a' }));
      await advance(2 * HOUR, [clocks.a, clocks.b]);
      // pod-b, holding the target too, neither runs it again nor answers it as expired.
      await b.pipeline.runOnce();
      expect(await onDemand(b, target)).toEqual([]);
      expect(await requestOf(b, long)).toEqual(expect.objectContaining({ state: 'running', claimedBy: 'pod-a' }));
      slow.release();
      await running;
      expect(await onDemand(b, target)).toEqual([expect.objectContaining({ status: 'active' })]);
      expect(await requestOf(b, long)).toEqual(
        expect.objectContaining({
          state: 'done',
          claimedBy: 'pod-a',
          trained: 1,
          answeredAt: NOW + 3 * MINUTE + 2 * HOUR,
        })
      );

      // pod-a takes the next one and dies running it: its clock stops, its renewals with it.
      const orphaned = await queue(a, target, clocks.a.now());
      slow.hold();
      running = a.pipeline.runOnce();
      await slow.reached;
      await advance(HOUR, [clocks.b]);
      await b.pipeline.runOnce();
      expect(await requestOf(b, orphaned)).toEqual(expect.objectContaining({ state: 'running', claimedBy: 'pod-a' }));
      await advance(MINUTE, [clocks.b]);
      await b.pipeline.runOnce();
      expect(await requestOf(b, orphaned)).toEqual(
        expect.objectContaining({ state: 'done', claimedBy: 'pod-b', trained: 1 })
      );
      expect(await onDemand(b, target)).toHaveLength(2);
    } finally {
      slow.release();
      await running;
      await b.close();
      await a.close(true);
    }
  });

  it('leaves a request another replica took while this one could not renew its claim', async () => {
    const { a, b, clocks, claims, slow, advance } = await twoReplicas(await open(), [
      jobWatch,
      { ...jobWatch, name: 'v' },
    ]);
    let running: Promise<void> | undefined;
    try {
      // One request of each watch: w's for a target pod-a alone holds, v's for one pod-b holds too.
      const alone = held(a).find((id) => id.startsWith('w{') && !held(b).includes(id))!;
      const both = held(b).find((id) => id.startsWith('v{'))!;
      await queue(a, alone, clocks.a.now());
      const taken = await queue(a, both, clocks.a.now());
      slow.hold();
      running = a.pipeline.runOnce();
      await slow.reached;
      // pod-a's retraining of w lasts past the lapse, and the store refuses its renewals meanwhile.
      claims.refusing = true;
      await advance(HOUR + MINUTE, [clocks.a, clocks.b]);
      await b.pipeline.runOnce();
      expect(await requestOf(b, taken)).toEqual(expect.objectContaining({ state: 'done', claimedBy: 'pod-b' }));
      claims.refusing = false;
      slow.release();
      await running;
      // pod-a, its claim lost, does not run v's request again.
      expect(await onDemand(a, both)).toHaveLength(1);
      expect(await requestOf(a, taken)).toEqual(expect.objectContaining({ state: 'done', claimedBy: 'pod-b' }));
    } finally {
      slow.release();
      await running;
      await b.close();
      await a.close(true);
    }
  });

  it("waits a few of its watch's steps when they are longer than the hour a request waits at least", async () => {
    const shared = await open();
    const clock = new TestClock(NOW);
    const slowWatch = { ...jobWatch, name: 'slow', step: '2h', history: '24h', probation: 2 };
    const h = buildPipeline({ watches: [jobWatch, slowWatch] }, clock, {
      dataDir: shared.dataDir,
      extra: {
        querierFor: () => retrainQuerier,
        ownership: new TargetShare(new FixedMembership('pod-a', ['pod-a']), clock, 0),
        repository: await shared.repository(clock),
      },
    });
    try {
      await h.pipeline.runOnce();
      // Neither target is held by anyone (both went): one of each watch.
      await h.pipeline.repo.queueRetraining(
        ['w', 'slow'].map((watch) => ({
          replica: 'pod-b',
          watch,
          target: `${watch}{job="gone"}`,
          requestedBy: 'pod-b',
          requestedAt: clock.now(),
        }))
      );
      const states = async () =>
        Object.fromEntries((await h.pipeline.repo.retrainRequestList({ limit: 10 })).map((r) => [r.watch, r.state]));
      clock.advance(HOUR + MINUTE);
      await h.pipeline.runOnce();
      expect(await states()).toEqual({ w: 'expired', slow: 'queued' });
      // Three steps of two hours, exactly, is not yet past; a minute more is.
      clock.advance(5 * HOUR - MINUTE);
      await h.pipeline.runOnce();
      expect(await states()).toEqual({ w: 'expired', slow: 'queued' });
      clock.advance(MINUTE);
      await h.pipeline.runOnce();
      expect(await states()).toEqual({ w: 'expired', slow: 'expired' });
    } finally {
      await h.close(true);
    }
  });
});
