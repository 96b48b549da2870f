// Retention of the detection records (FP_DETECTION_RETENTION_DAYS) on both stores, driven by hand on
// an injected clock: what a prune deletes and what it keeps (open anomalies, anomalies a healing
// trigger names, feedback retraining reads, running forecasts, current model versions), a batch per
// tick once an hour, on the leader only, and what it says.

import type { PredictionRecord } from '../../src/server/pipeline/targetModel';
import { PRUNE_INTERVAL_MS } from '../../src/server/store/pruneCadence';
import { openPostgresStore } from '../../src/server/store/postgres';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { openSqliteDatabase } from '../../src/server/store/sqlite';
import type { Store } from '../../src/server/store/store';
import { anomalyRecord, cycleWrite, modelVersion } from '../harness/anomalyRecords';
import { postgresForTests } from '../harness/postgres';
import { detectionRetentionUnderTest } from './detectionRetentionUnderTest';
import { TestClock } from './helpers';

const DAY = 86_400_000;
const NOW = Date.parse('2025-06-01T12:00:00Z');
const postgres = postgresForTests();
const secrets = ephemeralSecretBox();
let round = 0;

/** A store on the test's clock, and a way to run raw SQL on it (`?` placeholders) to set up what healing would write. */
type Opened = { store: Store; exec: (sql: string, params: unknown[]) => Promise<void> };
const opens: Record<string, (clock: TestClock) => Promise<Opened>> = {
  SQLite: async (clock) => {
    const store = openSqliteDatabase(':memory:', clock.now, { secrets });
    return { store, exec: async (sql, params) => void store.db.prepare(sql).run(...params) };
  },
  PostgreSQL: async (clock) => {
    const url = await postgres().createDatabase(`retention${++round}`);
    const store = await openPostgresStore(url, { secrets, limits: { maxConnections: 4 }, now: clock.now });
    const numbered = (sql: string) => {
      let n = 0;
      return sql.replace(/\?/g, () => `$${++n}`);
    };
    return { store, exec: async (sql, params) => void (await store.pool.query(numbered(sql), params)) };
  },
};

const prediction = (target: string, madeAt: number, seconds: number): PredictionRecord => ({
  targetId: target,
  watch: 'w',
  signal: 'memory',
  madeAt,
  limit: 100,
  direction: 'above',
  seconds,
  lowerSeconds: null,
  upperSeconds: null,
});

const model = (target: string, trainedAt: number, status: 'active' | 'failed') =>
  modelVersion(target, {
    status,
    reason: 'scheduled',
    trainedAt,
    rangeStart: trainedAt - 7 * DAY,
    rangeEnd: trainedAt,
    threshold: 0.5,
  });

describe.each(Object.keys(opens))('detection retention on %s', (kind) => {
  let opened: Opened;
  afterEach(() => opened.store.close());

  const setUp = async (days: number, leads = () => true) => {
    const clock = new TestClock(NOW - 12 * DAY);
    opened = await opens[kind](clock);
    const { retention, logged, pruned } = detectionRetentionUnderTest(opened.store.pipeline, clock, days, leads);
    return { clock, retention, logged, pruned, repo: opened.store.pipeline };
  };

  /** Writes an anomaly of job j<i> at the clock's time, `ended` days before NOW (open when `open`); resolves to its id. */
  const anomalyAt = async (s: Awaited<ReturnType<typeof setUp>>, i: number, endedDaysAgo: number, open = false) => {
    const end = NOW - endedDaysAgo * DAY;
    const record = anomalyRecord(i, { start: end - 120_000, end, state: open ? 'open' : 'closed' });
    const [stored] = await s.repo.commitCycle(cycleWrite({ anomalies: [record] }));
    return stored.id!;
  };

  it('deletes old closed anomalies with their feedback, old predictions and superseded models, and keeps the rest', async () => {
    const s = await setUp(3);
    s.clock.ms = NOW - 10 * DAY;
    const oldQuiet = await anomalyAt(s, 1, 10);
    const oldLabelled = await anomalyAt(s, 2, 10);
    await s.repo.addFeedback(oldLabelled, 'false_positive', 'operator', 'ann', null);
    const stillOpen = await anomalyAt(s, 3, 10, true);
    const triggered = await anomalyAt(s, 4, 10);
    const archived = await anomalyAt(s, 5, 10);
    const spokenOfLately = await anomalyAt(s, 6, 10);
    await s.repo.commitCycle(
      cycleWrite({
        predictions: [
          prediction('w{job="p1"}', NOW - 10 * DAY, 3600),
          // Due in 9 days from then: a day ago, within the retention.
          prediction('w{job="p2"}', NOW - 10 * DAY, 9 * 86_400),
        ],
      })
    );
    await s.repo.addModel(model('w{job="m"}', NOW - 10 * DAY, 'active'));
    s.clock.ms = NOW - 9 * DAY;
    await s.repo.addModel(model('w{job="m"}', NOW - 9 * DAY, 'failed'));
    await s.repo.addModel(model('w{job="r"}', NOW - 9 * DAY, 'active'));
    await s.repo.commitCycle(cycleWrite({ forgotten: ['w{job="r"}'] }));
    s.clock.ms = NOW - 8 * DAY;
    await s.repo.addModel(model('w{job="m"}', NOW - 8 * DAY, 'active'));
    s.clock.ms = NOW - 7 * DAY;
    await s.repo.addModel(model('w{job="m"}', NOW - 7 * DAY, 'failed'));
    s.clock.ms = NOW - 5 * DAY;
    const recentQuiet = await anomalyAt(s, 7, 5);
    const recentLabelled = await anomalyAt(s, 8, 5);
    await s.repo.addFeedback(recentLabelled, 'confirmed', 'operator', 'bob', null);
    // Replayed lately: the row was written a day ago though the anomaly ended ten days ago.
    s.clock.ms = NOW - 1 * DAY;
    const replayed = await anomalyAt(s, 9, 10);
    await s.repo.addFeedback(spokenOfLately, 'confirmed', 'verification', null, 'action 3 healed it');
    const fresh = await anomalyAt(s, 10, 1);
    await s.repo.commitCycle(cycleWrite({ predictions: [prediction('w{job="p3"}', NOW - DAY, 600)] }));
    // What healing keeps of two of them: a trigger under the anomaly's key, and one archived (a withdrawn action's).
    const trigger = (id: number, key: string, i: number) =>
      opened.exec(
        'INSERT INTO healing_triggers (key, source, trigger, trigger_target, opened_at, closed_at) VALUES (?, ?, ?, ?, ?, ?)',
        [
          key,
          'anomaly',
          JSON.stringify({ source: 'anomaly', id, labels: { job: `j${i}` }, severity: 'high', startedAt: 0 }),
          `w{job="j${i}"}`,
          NOW - 10 * DAY,
          NOW - 10 * DAY,
        ]
      );
    await trigger(triggered, `anomaly:${triggered}`, 4);
    await trigger(archived, `anomaly:${archived}#withdrawn-7`, 5);

    s.clock.ms = NOW;
    await s.retention.tick();

    const listed = (await s.repo.anomalies({ limit: 100 })).map((a) => a.id).sort((a, b) => a - b);
    expect(listed).toEqual(
      [stillOpen, triggered, archived, spokenOfLately, recentLabelled, replayed, fresh].sort((a, b) => a - b)
    );
    for (const gone of [oldQuiet, oldLabelled, recentQuiet]) {
      expect(await s.repo.anomaly(gone)).toBeUndefined();
    }
    // Retraining still reads the feedback inside the watch's history.
    expect(await s.repo.labelledWindows('w{job="j8"}')).toEqual({
      falsePositive: [],
      confirmed: [[NOW - 5 * DAY - 120_000, NOW - 5 * DAY]],
    });
    expect((await s.repo.predictions({})).map((p) => p.target).sort()).toEqual(['w{job="p2"}', 'w{job="p3"}']);
    expect((await s.repo.models({})).map((m) => [m.target, m.version, m.status])).toEqual([
      ['w{job="m"}', 4, 'failed'],
      ['w{job="m"}', 3, 'active'],
      ['w{job="r"}', 1, 'retired'],
    ]);
    expect(await s.pruned()).toEqual({
      anomalies: 3,
      anomaly_feedback: 1,
      predictions: 1,
      models: 2,
      retrain_requests: 0,
    });
    expect(s.logged.filter((l) => l.msg.startsWith('detection retention'))).toEqual([
      expect.objectContaining({
        level: 30,
        msg: `detection retention pruned 3 closed anomalies with 1 feedback entries, 1 predictions, 2 model versions and 0 answered retrain requests from before ${new Date(NOW - 3 * DAY).toISOString()} (anomalies with feedback from before ${new Date(NOW - 8 * DAY).toISOString()})`,
      }),
    ]);

    // Four days and an hour on: the labelled one has left the history, and the archived trigger is gone.
    await opened.exec('DELETE FROM healing_triggers WHERE key = ?', [`anomaly:${archived}#withdrawn-7`]);
    s.clock.ms = NOW + 4 * DAY;
    await s.retention.tick();
    expect(await s.repo.anomaly(recentLabelled)).toBeUndefined();
    expect(await s.repo.anomaly(archived)).toBeUndefined();
    expect(await s.repo.anomaly(triggered)).toBeDefined();
    expect(await s.repo.anomaly(stillOpen)).toBeDefined();
  });

  it('prunes a batch of each per tick until nothing is left, and starts again an hour after it started', async () => {
    const s = await setUp(30);
    s.clock.ms = NOW - 40 * DAY;
    const rows = (n: number, tag: string, madeAt: number) =>
      Array.from({ length: n }, (_, i) => prediction(`w{job="${tag}${i}"}`, madeAt, 60));
    await s.repo.commitCycle(cycleWrite({ predictions: rows(1500, 'a', NOW - 40 * DAY) }));
    // Within the retention by half an hour when the prune starts.
    await s.repo.commitCycle(cycleWrite({ predictions: rows(10, 'b', NOW - 30 * DAY + 1_800_000) }));
    s.clock.ms = NOW;
    await s.retention.tick();
    expect((await s.pruned()).predictions).toBe(1000);
    expect(s.logged.filter((l) => l.msg.startsWith('detection retention'))).toEqual([]);
    await s.retention.tick();
    expect((await s.pruned()).predictions).toBe(1500);
    expect(s.logged.filter((l) => l.msg.startsWith('detection retention pruned'))).toHaveLength(1);

    s.clock.ms = NOW + PRUNE_INTERVAL_MS - 60_000;
    await s.retention.tick();
    expect(await s.repo.predictions({})).toHaveLength(10);
    s.clock.ms = NOW + PRUNE_INTERVAL_MS;
    await s.retention.tick();
    expect(await s.repo.predictions({})).toHaveLength(0);
  });

  it('keeps everything at 0 days, and prunes nothing on a replica that does not lead', async () => {
    let leading = false;
    const s = await setUp(30, () => leading);
    s.clock.ms = NOW - 400 * DAY;
    const old = await anomalyAt(s, 1, 400);
    s.clock.ms = NOW;
    await s.retention.tick();
    expect(await s.repo.anomaly(old)).toBeDefined();
    leading = true;
    await s.retention.tick();
    expect(await s.repo.anomaly(old)).toBeUndefined();

    const keepAll = detectionRetentionUnderTest(s.repo, s.clock, 0).retention;
    s.clock.ms = NOW - 400 * DAY;
    const kept = await anomalyAt(s, 2, 400);
    s.clock.ms = NOW;
    await keepAll.tick();
    expect(await s.repo.anomaly(kept)).toBeDefined();
  });
});
