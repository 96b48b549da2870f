import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { Random } from '../../src/detection';
import { anomaliesResponseSchema, modelsResponseSchema, watchesResponseSchema } from '../../src/contract/pipeline';
import { watchesConfigResponseSchema, type WatchDefinition } from '../../src/contract/watches';
import { configSchema } from '../../src/server/config/schema';
import { pipelineRoutes } from '../../src/server/http/routes/pipeline';
import { watchRoutes, type WatchesChange } from '../../src/server/http/routes/watches';
import { buildServer, type App } from '../../src/server/http/server';
import { Pipeline } from '../../src/server/pipeline/pipeline';
import { SqlitePipelineRepository } from '../../src/server/pipeline/store/sqliteRepository';
import { WATCHES_KEY, WatchSettings } from '../../src/server/pipeline/watchSettings';
import { openSqliteStore, type SqliteStore } from '../../src/server/store/sqlite';
import { startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { TestClock } from './helpers';

const STEP = 300_000;
const T0 = Date.UTC(2025, 5, 2);
const N = 600;
/** A spike five steps before the clock: its anomaly is still open when the watch is removed. */
const SPIKE = 590;
const NOW = T0 + 595 * STEP;
const TOKEN = 'test-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}`, 'x-grafana-user': 'admin' };

const FILE_WATCH = {
  name: 'queue',
  queries: { depth: 'queue_depth' },
  target: ['job'],
  step: '5m',
  history: '2d',
  lag: 0,
};
const MACHINE: WatchDefinition = {
  name: 'machine',
  queries: { temperature: 'temp_celsius' },
  target: ['job'],
  step: '5m',
  history: '1d',
  lag: 0,
};

function series(seed: number, base: number, spikeAt?: number) {
  const rng = new Random(seed);
  const timestamps = Array.from({ length: N }, (_, i) => T0 + i * STEP);
  const values = timestamps.map((_, i) => base + (rng.next() + rng.next() - 1) + (i === spikeAt ? 100 : 0));
  return { timestamps, values };
}

interface Booted {
  store: SqliteStore;
  pipeline: Pipeline;
  app: App;
  metrics: Registry;
  logs: Array<{ level: number; msg: string }>;
  audit: WatchesChange[];
  close(): Promise<void>;
}

/** The backend as main.ts wires it (store → watch settings → pipeline → routes), on `dataDir`. */
async function boot(promUrl: string, dataDir: string, clock: TestClock): Promise<Booted> {
  const logs: Booted['logs'] = [];
  const audit: WatchesChange[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const config = configSchema.parse({ prometheus: { url: promUrl }, watches: [FILE_WATCH] });
  const store = openSqliteStore(dataDir, clock.now);
  const metrics = new Registry();
  const settings = new WatchSettings({ settings: store.settings, fromFile: config.watches, logger, clock });
  await settings.load();
  const pipeline = new Pipeline({
    config,
    repository: new SqlitePipelineRepository(store.db, () => clock.now()),
    logger,
    metrics,
    clock,
    watches: settings.current().parsed,
  });
  await pipeline.init();
  const app = await buildServer({
    logger,
    apiToken: TOKEN,
    store,
    metrics,
    version: 'test',
    authenticatedRoutes: [pipelineRoutes(pipeline), watchRoutes(pipeline, settings, (c) => audit.push(c))],
  });
  return {
    store,
    pipeline,
    app,
    metrics,
    logs,
    audit,
    close: async () => {
      await app.close();
      await pipeline.stop();
      store.close();
    },
  };
}

describe('watches edited through the API (real Prometheus)', () => {
  let prom: RunningPrometheus;
  let b: Booted;
  const clock = new TestClock(NOW);
  const dataDir = mkdtempSync(join(tmpdir(), 'fp-watches-'));

  const getConfig = async () =>
    watchesConfigResponseSchema.parse((await b.app.inject({ url: '/api/watches/config', headers: auth })).json());
  const running = async () =>
    watchesResponseSchema.parse((await b.app.inject({ url: '/api/watches', headers: auth })).json()).watches;
  const put = (watches: unknown) =>
    b.app.inject({ method: 'PUT', url: '/api/admin/watches', headers: auth, payload: { watches } });
  const models = async (watch: string) =>
    modelsResponseSchema.parse((await b.app.inject({ url: `/api/models?watch=${watch}`, headers: auth })).json())
      .models;

  beforeAll(async () => {
    prom = await startPrometheus([
      { name: 'queue_depth', labels: { job: 'worker' }, ...series(3, 20, SPIKE) },
      { name: 'temp_celsius', labels: { job: 'machine-1' }, ...series(5, 60) },
    ]);
    b = await boot(prom.url, dataDir, clock);
    await b.pipeline.runOnce();
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    await prom?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("starts from the file's watches and says so", async () => {
    const config = await getConfig();
    expect(config).toMatchObject({
      source: 'file',
      watches: [{ name: 'queue', step: '5m', history: '2d', lag: '0s', closeAfter: 6 }],
    });
    expect(config.updatedAt).toBeUndefined();
    expect((await running()).map((w) => w.name)).toEqual(['queue']);
  });

  it('runs a saved watch, stops the removed one and closes its open anomaly', async () => {
    const open = anomaliesResponseSchema.parse(
      (await b.app.inject({ url: '/api/anomalies?state=open', headers: auth })).json()
    ).anomalies;
    expect(open.map((a) => a.watch)).toEqual(['queue']);

    const res = await put([MACHINE]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ source: 'store', updatedBy: 'admin', updatedAt: NOW, watches: [MACHINE] });
    expect(await getConfig()).toEqual(res.json());
    expect((await running()).map((w) => w.name)).toEqual(['machine']);

    await b.pipeline.runOnce();
    const [machine] = await running();
    expect(machine).toMatchObject({
      name: 'machine',
      targets: 1,
      degraded: false,
      lastProcessedAt: NOW,
      historySeconds: 86_400,
    });
    // First sight: the history was replayed into the initial model.
    expect(await models('machine')).toEqual([
      expect.objectContaining({ version: 1, reason: 'initial', samples: 288 + 1 }),
    ]);
    const metrics = await b.metrics.metrics();
    expect(metrics).toContain('failureprophet_targets_watched{watch="machine"} 1');
    expect(metrics).not.toMatch(/failureprophet_(targets_watched|anomaly_score)\{watch="queue"/);

    const after = anomaliesResponseSchema.parse(
      (await b.app.inject({ url: `/api/anomalies?target=${encodeURIComponent(open[0].target)}`, headers: auth })).json()
    ).anomalies;
    expect(after.find((a) => a.id === open[0].id)?.state).toBe('closed');
    // The removed watch's targets keep their state, so adding it back resumes it.
    expect(b.store.db.prepare('SELECT COUNT(*) AS n FROM pipeline_targets WHERE watch = ?').get('queue')).toEqual({
      n: 1,
    });
  });

  it('keeps unchanged watches running, resumes a re-added one and restarts a changed one with fresh models', async () => {
    expect((await put([MACHINE, FILE_WATCH])).statusCode).toBe(200);
    await b.pipeline.runOnce();
    expect(await models('machine')).toHaveLength(1);
    // Resumed from its stored state: no second initial model.
    expect(await models('queue')).toEqual([expect.objectContaining({ version: 1 })]);

    const changed = { ...MACHINE, queries: { temperature: 'temp_celsius * 1' } };
    expect((await put([changed, FILE_WATCH])).statusCode).toBe(200);
    await b.pipeline.runOnce();
    expect((await models('machine')).map((m) => [m.version, m.status, m.reason])).toEqual([
      [2, 'active', 'initial'],
      [1, 'superseded', 'initial'],
    ]);
    expect(await models('queue')).toHaveLength(1);
    expect((await running()).map((w) => w.name)).toEqual(['machine', 'queue']);
  });

  it('refuses an invalid set with 400 naming the field, and changes nothing', async () => {
    const before = await getConfig();
    const cases: Array<[unknown, string, RegExp]> = [
      [[MACHINE, { ...FILE_WATCH, name: 'machine' }], 'body.watches.1.name', /used twice/],
      [[{ ...MACHINE, history: '90 days' }], 'body.watches.0.history', /a duration such as/],
      [[{ ...MACHINE, step: '500ms' }], 'body.watches.0.step', /at least 1s/],
      [[{ ...MACHINE, queries: {} }], 'body.watches.0.queries', /at least one query/],
      [[{ ...MACHINE, queries: { temperature: '  ' } }], 'body.watches.0.queries.temperature', /PromQL/],
      // A limit on a misspelt signal would limit nothing.
      [
        [{ ...MACHINE, limits: { temprature: 90 } }],
        'body.watches.0.limits.temprature',
        /"temprature" is not a query of this watch \(its queries: temperature\)/,
      ],
      [
        [{ ...MACHINE, queries: { temperature: 'rate(temp_celsius[5m' } }],
        'body.watches.0.queries.temperature',
        /watch "machine", query "temperature": .*bad_data.*parse error/,
      ],
    ];
    for (const [watches, field, message] of cases) {
      const res = await put(watches);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'bad_request', field });
      expect(res.json().message).toMatch(message);
    }
    expect(await getConfig()).toEqual(before);
    expect((await running()).map((w) => w.name)).toEqual(['machine', 'queue']);
  });

  it('keeps the saved watches over the file after a restart, and the reset goes back to the file', async () => {
    const saved = await getConfig();
    await b.close();
    b = await boot(prom.url, dataDir, clock);
    expect(await getConfig()).toEqual(saved);
    expect((await running()).map((w) => w.name)).toEqual(['machine', 'queue']);

    const res = await b.app.inject({ method: 'DELETE', url: '/api/admin/watches', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ source: 'file', watches: [{ name: 'queue' }] });
    expect((await running()).map((w) => w.name)).toEqual(['queue']);
    expect(b.audit).toEqual([
      {
        user: expect.any(String),
        message: expect.stringMatching(/reset the watches to the config file watches: removed machine$/),
        details: { added: [], changed: [], removed: ['machine'], unchanged: ['queue'] },
      },
    ]);
  });

  it('starts a saved watch at once on a running loop', async () => {
    b.pipeline.start();
    // The start's first tick is over once the watch it ran reports its cycle.
    await until(async () => (await running())[0].lastCycleAt !== null);
    expect((await put([FILE_WATCH, MACHINE])).statusCode).toBe(200);
    // The loop ticks every 15 s; the new watch runs now, not at the next tick.
    await until(async () => (await running())[1]?.lastCycleAt != null);
    expect((await running())[1]).toMatchObject({ name: 'machine', targets: 1 });
  });

  it('falls back to the file with an error logged when the stored watches are corrupt, and keeps the row', async () => {
    await b.close();
    const store = openSqliteStore(dataDir, clock.now);
    store.db.prepare('UPDATE settings SET value = ? WHERE key = ?').run('{"watches": [{"name": ', WATCHES_KEY);
    store.close();
    b = await boot(prom.url, dataDir, clock);
    const config = await getConfig();
    expect(config).toMatchObject({ source: 'file', watches: [{ name: 'queue' }] });
    expect(config.storeError).toMatch(/pipeline\.watches.*unreadable.*JSON/);
    expect((await running()).map((w) => w.name)).toEqual(['queue']);
    expect(b.logs).toContainEqual(
      expect.objectContaining({
        level: 50,
        msg: expect.stringMatching(/unreadable.*running the config file watches instead/),
      })
    );
    expect(b.store.db.prepare('SELECT value FROM settings WHERE key = ?').get(WATCHES_KEY)).toEqual({
      value: '{"watches": [{"name": ',
    });
  });

  it('saves a watch whose source does not answer (not a refusal); the watch then shows as degraded', async () => {
    const remote = { name: 'remote', queries: { up: 'up' }, source: { prometheus: 'http://127.0.0.1:9' } };
    const res = await put([FILE_WATCH, remote]);
    expect(res.statusCode).toBe(200);
    await b.pipeline.runOnce();
    expect((await running()).find((w) => w.name === 'remote')).toMatchObject({
      degraded: true,
      lastError: { kind: 'unreachable' },
    });
  });

  it("never shows a source's password, and keeps the saved one when the shown *** is saved back", async () => {
    const secret = { name: 'secret', queries: { up: 'up' }, source: { prometheus: 'http://alice:s3cret@127.0.0.1:9' } };
    expect((await put([FILE_WATCH, secret])).statusCode).toBe(200);
    const storedUrl = () =>
      (
        JSON.parse(
          (b.store.db.prepare('SELECT value FROM settings WHERE key = ?').get(WATCHES_KEY) as { value: string }).value
        ) as { watches: WatchDefinition[] }
      ).watches.find((w) => w.name === 'secret')?.source;
    const shown = await b.app.inject({ url: '/api/watches/config', headers: auth });
    expect(shown.body).not.toContain('s3cret');
    const config = watchesConfigResponseSchema.parse(shown.json());
    expect(config.watches.find((w) => w.name === 'secret')?.source).toEqual({
      prometheus: 'http://alice:***@127.0.0.1:9/',
    });
    // The editor saves back what it was shown: the password stays the saved one.
    const back = await put(config.watches);
    expect(back.statusCode).toBe(200);
    expect(back.body).not.toContain('s3cret');
    expect(storedUrl()).toEqual({ prometheus: 'http://alice:s3cret@127.0.0.1:9' });
    // *** on another host (or watch) stands for no saved password: refused, naming the field.
    const moved = config.watches.map((w) =>
      w.name === 'secret' ? { ...w, source: { prometheus: 'http://alice:***@127.0.0.2:9/' } } : w
    );
    const refused = await put(moved);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().field).toBe(`body.watches.${moved.findIndex((w) => w.name === 'secret')}.source.prometheus`);
    expect(storedUrl()).toEqual({ prometheus: 'http://alice:s3cret@127.0.0.1:9' });
  });
});

/**
 * Waits for real I/O (a cycle against Prometheus) to show, at most `polls` times 20 ms apart. Counted
 * polls, not a deadline: a loaded machine stretches the wait. The loop's own ticks run on the test's
 * clock, so waiting longer can never let the next tick stand in for the change under test.
 */
async function until(check: () => Promise<boolean>, polls = 3_000): Promise<void> {
  for (let i = 0; !(await check()); i++) {
    if (i >= polls) {
      throw new Error(`not within ${polls} polls`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
