import { join } from 'node:path';
import { serialize } from 'node:v8';
import Database from 'better-sqlite3';
import pino from 'pino';
import { PostgresPipelineRepository } from '../../src/server/store/postgres/pipeline';
import { openPostgresStore } from '../../src/server/store/postgres';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { DATABASE_FILE } from '../../src/server/store/sqlite';
import { postgresForTests } from '../harness/postgres';
import { buildPipeline, MINUTE, TestClock, type Harness } from './helpers';
import { matrixBody, samples, SCRIPTED_WATCH, scriptedPrometheus, type ScriptedPrometheus } from './loop38Prometheus';

// Stored rows read back corrupt by a restarted backend: each is told, what can be kept is kept, and
// the watch scores on rather than failing every cycle on the same row.

const NOW = Date.UTC(2025, 3, 7, 12);
const JOBS = ['j0', 'j1', 'j2'];
const config = (url: string) => ({
  prometheus: { url },
  watches: [SCRIPTED_WATCH],
});

/** The config with other watches, when given. */
const withWatches = (c: ReturnType<typeof config>, watches?: unknown[]) => (watches ? { ...c, watches } : c);

/** Three pods of one deployment, scored against each other (peer groups). */
const peerWatch = {
  name: 'w',
  queries: { x: 'x' },
  target: ['deployment', 'pod'],
  peers: ['deployment'],
  step: '1m',
  history: '1h',
  lag: 0,
  probation: 10,
  detector: 'zscore',
};

let prom: ScriptedPrometheus;
beforeEach(async () => {
  prom = await scriptedPrometheus((asked) => ({
    body: matrixBody(
      JOBS.map((job, k) => ({
        metric: { job, deployment: 'web', pod: `web-${k}` },
        values: samples(asked, (t) => 50 + 10 * k + Math.sin(t / (7 * MINUTE))),
      }))
    ),
  }));
});
afterEach(() => prom.close());

/** What the backend warned of, as pino wrote it. */
function warnLog() {
  const lines: Array<{ msg: string; target?: string; err?: string }> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { lines, logger };
}

/** One backend's run on a store that outlives it. */
interface Backend {
  h: Harness;
  close(): Promise<void>;
}

/** A store the backends share: how to start one on it, and raw SQL on it between runs (`?` placeholders). */
interface SharedStore {
  start(clock: TestClock, logger: pino.Logger, watches?: unknown[]): Promise<Backend>;
  exec(sql: string, params: unknown[]): Promise<void>;
  /** Its SQL for a target's checkpoint cut short to 20 bytes. */
  truncated: string;
}

const postgres = postgresForTests();
let databases = 0;

const stores: Record<string, () => Promise<SharedStore>> = {
  SQLite: async () => {
    let dataDir: string | undefined;
    return {
      truncated: 'UPDATE pipeline_targets SET checkpoint = substr(checkpoint, 1, 20) WHERE id = ?',
      start: async (clock, logger, watches) => {
        const h = buildPipeline(withWatches(config(prom.url), watches), clock, { dataDir, extra: { logger } });
        dataDir = h.dataDir;
        return { h, close: () => h.close() };
      },
      exec: async (sql, params) => {
        const db = new Database(join(dataDir!, DATABASE_FILE));
        db.prepare(sql).run(...params);
        db.close();
      },
    };
  },
  PostgreSQL: async () => {
    const url = await postgres().createDatabase(`loop38rows${++databases}`);
    const open = () =>
      openPostgresStore(url, { secrets: ephemeralSecretBox(), limits: { maxConnections: 3 }, now: () => NOW });
    return {
      truncated: 'UPDATE pipeline_targets SET checkpoint = substring(checkpoint from 1 for 20) WHERE id = ?',
      start: async (clock, logger, watches) => {
        const store = await open();
        const repository = new PostgresPipelineRepository(store.pool, store.where, 4, () => clock.now());
        const h = buildPipeline(withWatches(config(prom.url), watches), clock, { extra: { logger, repository } });
        return {
          h,
          close: async () => {
            await h.close(true);
            await store.close();
          },
        };
      },
      exec: async (sql, params) => {
        const store = await open();
        let n = 0;
        await store.pool.query(
          sql.replace(/\?/g, () => `$${++n}`),
          params
        );
        await store.close();
      },
    };
  },
};

describe.each(Object.keys(stores))('on %s', (kind) => {
  it("a watch's stored peer groups of another shape are relearned, with a warning, the watch scoring on, and written readable again (PostgreSQL kept the unreadable group for ever)", async () => {
    const store = await stores[kind]();
    const clock = new TestClock(NOW);
    const first = await store.start(clock, warnLog().logger, [peerWatch]);
    await first.h.pipeline.runOnce();
    await first.close();
    await store.exec('UPDATE pipeline_watches SET peers = ? WHERE name = ?', ['{"web":{"members":"web-0"}}', 'w']);

    clock.advance(MINUTE);
    const { lines, logger } = warnLog();
    const second = await store.start(clock, logger, [peerWatch]);
    try {
      await second.h.pipeline.runOnce();
      expect(second.h.pipeline.watches()[0]).toEqual(
        expect.objectContaining({ degraded: false, lastError: null, targets: 3, lastProcessedAt: NOW + MINUTE })
      );
      expect(lines.map((l) => [l.msg, l.err])).toContainEqual([
        'stored peer groups unreadable; relearning them',
        expect.stringContaining('pipeline_watches row w is invalid at peers.web.members'),
      ]);
      expect(Object.keys(await second.h.pipeline.repo.loadPeers('w')).length).toBeGreaterThan(0);
    } finally {
      await second.close();
    }
  });

  it("a target's stored state cut short, or of another version: that target relearns, named in a warning; the others resume; the watch scores on (already so)", async () => {
    const store = await stores[kind]();
    const clock = new TestClock(NOW);
    const first = await store.start(clock, warnLog().logger);
    await first.h.pipeline.runOnce();
    expect(first.h.pipeline.targets().map((t) => t.learning)).toEqual([false, false, false]);
    await first.close();
    await store.exec(store.truncated, ['w{job="j0"}']);
    await store.exec('UPDATE pipeline_targets SET checkpoint = ? WHERE id = ?', [
      serialize({ version: 2, steps: 60 }),
      'w{job="j1"}',
    ]);

    clock.advance(MINUTE);
    const { lines, logger } = warnLog();
    const second = await store.start(clock, logger);
    await second.h.pipeline.runOnce();
    try {
      expect(second.h.pipeline.watches()[0]).toEqual(
        expect.objectContaining({ degraded: false, lastError: null, targets: 3, lastProcessedAt: NOW + MINUTE })
      );
      const learning = Object.fromEntries(second.h.pipeline.targets().map((t) => [t.labels.job, t.learning]));
      expect(learning).toEqual({ j0: true, j1: true, j2: false });
      const unreadable = lines.filter((l) => l.msg === 'stored target state unreadable; relearning it');
      expect(unreadable.map((l) => [l.target, l.err])).toEqual([
        ['w{job="j0"}', expect.stringMatching(/^not a serialised target state: /)],
        ['w{job="j1"}', expect.stringMatching(/^field version: /)],
      ]);
    } finally {
      await second.close();
    }
  });
});

it("a watch's stored definition that is unreadable (SQLite: PostgreSQL's column holds only text) counts as changed: the watch relearns from its history and scores on", async () => {
  const clock = new TestClock(NOW);
  const first = buildPipeline(config(prom.url), clock);
  await first.pipeline.runOnce();
  first.store.db.prepare(`UPDATE pipeline_watches SET definition = X'00ff' WHERE name = 'w'`).run();
  await first.close();

  clock.advance(MINUTE);
  const second = buildPipeline(config(prom.url), clock, { dataDir: first.dataDir });
  try {
    await second.pipeline.runOnce();
    // Refused, it failed every restore: the watch stayed degraded and scored nothing.
    expect(second.pipeline.watches()[0]).toEqual(
      expect.objectContaining({ degraded: false, lastError: null, targets: 3, lastProcessedAt: NOW + MINUTE })
    );
    const stored = second.store.db
      .prepare(`SELECT typeof(definition) AS type FROM pipeline_watches WHERE name = 'w'`)
      .get();
    expect(stored).toEqual({ type: 'text' });
  } finally {
    await second.close(true);
  }
});
