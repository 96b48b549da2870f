import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { z } from 'zod';
import { auditQuerySchema, actionListQuerySchema, type AnomalyTrigger } from '../../src/contract/healing';
import { triggerKey } from '../../src/server/healing/store/actionRows';
import { SettingsStore } from '../../src/server/healing/store/settings';
import { jobTarget, testSettings } from '../../src/server/pipeline/testTargets';
import { replaceNaN } from '../../src/server/pipeline/store/stateCodec';
import type { StoredTarget } from '../../src/server/pipeline/store/repository';
import { copyStore } from '../../src/server/store/copy/copy';
import { COPIED_TABLES, coverageGaps } from '../../src/server/store/copy/tables';
import { openCopySource } from '../../src/server/store/copy/source';
import { CopyTarget } from '../../src/server/store/copy/target';
import { describeUrl, openPostgresStore } from '../../src/server/store/postgres';
import { storedText } from '../../src/server/store/postgres/nulText';
import { ephemeralSecretBox, loadSecretBox } from '../../src/server/store/secrets';
import { openSqliteStore, type SqliteStore } from '../../src/server/store/sqlite';
import type { Store } from '../../src/server/store/store';
import { anomalyRecord, T0, targetSummary } from '../harness/anomalyRecords';
import { postgresForTests } from '../harness/postgres';

// store:copy on the real stores: a SQLite data dir filled through the repositories, copied into a
// fresh database of a throwaway PostgreSQL cluster, read back through the PostgreSQL repositories.
const server = postgresForTests();
const MINUTE = 60_000;
const secrets = ephemeralSecretBox();
let databases = 0;
const dirs: string[] = [];
const clock = () => T0 + 90 * MINUTE;

afterAll(() => {
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-copy-'));
  dirs.push(dir);
  return dir;
};
const database = () => server().createDatabase(`copy${++databases}`);
const openSqlite = (dir: string) => openSqliteStore(dir, clock, { secrets });
const openPostgres = (url: string) => openPostgresStore(url, { secrets, limits: { maxConnections: 2 }, now: clock });

/** A target that has learned (its state holds NaN and infinities, as real ones do). */
function learned(job: string): StoredTarget {
  const model = jobTarget(job, testSettings({ stepMs: MINUTE, probation: 3, closeAfter: 2 }), 0.5);
  model.signalIndex({ name: 'x', kind: 'cpu', limits: { above: 1 } });
  for (let i = 0; i < 20; i++) {
    model.step(T0 + i * MINUTE, [0.2 + (i % 3) / 10]);
  }
  return { id: `w{job="${job}"}`, watch: 'w', labels: { job }, state: model.toState() };
}

const trigger = (id: number): AnomalyTrigger => ({
  source: 'anomaly',
  id,
  watch: 'w',
  labels: { job: 'j0' },
  severity: 'critical',
  object: { kind: 'deployment', namespace: 'shop', name: 'cart' },
  startedAt: T0,
});
const scale = {
  type: 'scale',
  target: { kind: 'deployment', namespace: 'shop', name: 'cart' },
  replicas: 4,
  ceiling: 10,
} as const;

/** Every kind of row the backend keeps, written through the SQLite store's repositories. */
async function fill(store: SqliteStore): Promise<{ deletedPrediction: number }> {
  const { pipeline, healing } = store;
  const settings = new SettingsStore(store.settings, healing.audit);
  await settings.setKubernetes({ mode: 'endpoint', url: 'https://k8s:6443', token: 't0ken', caData: 'CA' }, T0, 'ann');
  await settings.setKillSwitch(
    { engaged: true, reason: 'upgrade', changedBy: 'ann', changedAt: T0 },
    { at: T0, kind: 'kill_switch', user: 'ann', message: 'engaged' }
  );
  await pipeline.adoptDefinition('w', 'definition of w');
  const [a, b] = [learned('a'), learned('b')];
  const anomalies = await pipeline.commitCycle({
    watch: 'w',
    lastProcessed: T0 + 30 * MINUTE,
    targets: [a, b],
    anomalies: [anomalyRecord(0), anomalyRecord(1, { state: 'open', labels: { job: 'j1', note: 'nul\u0000here' } })],
    predictions: [
      {
        targetId: a.id,
        watch: 'w',
        signal: 'x',
        madeAt: T0,
        limit: 1,
        direction: 'above',
        seconds: 600,
        lowerSeconds: 300,
        upperSeconds: null,
      },
      {
        targetId: a.id,
        watch: 'w',
        signal: 'x',
        madeAt: T0 + MINUTE,
        limit: 1,
        direction: 'above',
        seconds: 500,
        lowerSeconds: null,
        upperSeconds: 900,
      },
    ],
    forgotten: [],
    peers: { 'deployment=web/cpu': { members: ['a', 'b'], state: { scale: NaN, top: -Infinity } } },
    summaries: [{ ...targetSummary({ id: a.id, watch: 'w', labels: { job: 'a' }, score: 0.5 }), scores: [[T0, 0.5]] }],
  });
  await pipeline.setAnnotation(anomalies[0].id!, 77);
  await pipeline.addFeedback(anomalies[0].id!, 'false_positive', 'operator', 'ann', 'a deploy');
  await pipeline.addFeedback(anomalies[1].id!, 'confirmed', 'verification', null, null);
  for (const [i, status] of (['active', 'failed', 'active'] as const).entries()) {
    await pipeline.addModel({
      watch: 'w',
      targetId: a.id,
      status,
      reason: i === 0 ? 'initial' : 'scheduled',
      trainedAt: T0 + MINUTE,
      rangeStart: T0,
      rangeEnd: T0 + MINUTE,
      samples: 60,
      params: { detector: 'failureprophet', excludedWindows: [[1, 2]] },
      threshold: 0.8,
      feedback: { falsePositive: 1, confirmed: 0 },
      ...(status === 'failed' ? { error: 'no samples' } : {}),
    });
  }
  // A target still in the JSON form of the builds before compact checkpoints.
  store.db
    .prepare(
      `INSERT INTO pipeline_targets (id, watch, labels, state, checkpoint, last_sample_ms, updated_at)
       VALUES ('w{job="old"}', 'w', '{"job":"old"}', ?, NULL, 1, 1)`
    )
    .run(JSON.stringify(learned('old').state, replaceNaN));

  const { actions, breakers, audit } = healing;
  for (const id of [anomalies[0].id!, anomalies[1].id!]) {
    await actions.openTrigger(trigger(id), T0, () => ({
      at: T0,
      kind: 'trigger_opened',
      triggerId: id,
      message: 'opened',
    }));
  }
  const key = triggerKey(trigger(anomalies[0].id!));
  const proposed = await actions.insert({
    triggerKey: key,
    policy: 'p',
    gate: 'approve',
    action: scale,
    target: 'deployment shop/cart',
    namespace: 'shop',
    at: T0,
  });
  const drain = await actions.insert({
    triggerKey: key,
    policy: 'p',
    gate: 'auto',
    action: { type: 'drain', node: 'n1' },
    target: 'node n1',
    at: T0,
  });
  await actions.transition({
    id: drain!,
    from: ['proposed'],
    to: 'executing',
    at: T0 + 1,
    changes: { startedAt: T0 + 1, decisions: [{ at: T0, user: 'ann', decision: 'approved' }] },
    alongside: { holdNode: 'n1', audit: [{ at: T0 + 1, kind: 'executing', actionId: drain!, message: 'draining n1' }] },
  });
  await actions.setProgress(
    drain!,
    { cordonedByDrain: true, evicted: [{ namespace: 'shop', name: 'cart-0', uid: 'u1' }] },
    T0 + 2
  );
  await actions.transition({
    id: proposed!,
    from: ['proposed'],
    to: 'rejected',
    at: T0 + 3,
    changes: { reason: { kind: 'cooldown', message: 'no' } },
  });
  const note = (message: string) => () => ({ at: T0, kind: 'breaker_opened' as const, message });
  await breakers.open(
    { target: 'node n1', actionType: 'drain', repeats: 3, windowSeconds: 600, actionId: drain!, at: T0 },
    note('open')
  );
  await breakers.close('node n1', T0 + 5, { user: 'ann', comment: 'ok' }, note('closed'));
  await breakers.open(
    { target: 'node n1', actionType: 'drain', repeats: 3, windowSeconds: 600, actionId: drain!, at: T0 + 6 },
    note('open again')
  );
  await audit.append({
    at: T0 + 7,
    kind: 'waiting',
    user: 'bob',
    comment: 'c',
    message: 'details',
    details: { n: [1, 2] },
  });
  // A row deleted: SQLite never gives its id again, and neither may PostgreSQL.
  const [latest] = await pipeline.predictions({ limit: 1 });
  store.db.prepare('DELETE FROM predictions WHERE id = ?').run(latest.id);
  return { deletedPrediction: latest.id };
}

/** A data dir whose store holds every kind of row (fill), closed. */
async function filledDataDir(): Promise<string> {
  const dir = dataDir();
  const store = openSqlite(dir);
  await fill(store);
  await store.close();
  return dir;
}

/** A value with every string as PostgreSQL stores it (U+0000 as U+FFFD, as its repositories write it). */
const withoutNul = <T>(value: T): T =>
  typeof value === 'string'
    ? (storedText(value) as T)
    : Array.isArray(value)
      ? (value.map(withoutNul) as T)
      : typeof value === 'object' && value !== null && !(value instanceof Uint8Array)
        ? (Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutNul(v)])) as T)
        : value;

/** Everything the repositories read back, in the API's shapes. */
async function readAll(store: Store) {
  const { pipeline, healing } = store;
  const anomalies = (await pipeline.anomalyPage({ limit: 1000 })).anomalies;
  const actions = (await healing.actions.list(actionListQuerySchema.parse({ limit: '500' }))).items;
  return {
    kubernetes: await new SettingsStore(store.settings, healing.audit).kubernetes(),
    killSwitch: await store.settings.get('healing.killSwitch', z.unknown()),
    lastProcessed: await pipeline.lastProcessed('w'),
    peers: await pipeline.loadPeers('w'),
    checkpoint: await pipeline.loadCheckpoint('w'),
    record: await pipeline.targetRecord('w{job="a"}'),
    summaries: await pipeline.targetSummaryPage({ watches: ['w'], history: 'true' }),
    anomalies,
    annotation: await pipeline.annotationOf(anomalies[anomalies.length - 1].id),
    windows: await pipeline.labelledWindows('w{job="j0"}'),
    predictions: await pipeline.predictions({ limit: 1000 }),
    models: await pipeline.models({ limit: 1000 }),
    actions,
    stored: await Promise.all(actions.map((a) => healing.actions.get(a.id))),
    trigger: await healing.actions.trigger(actions[0].triggerKey),
    filtered: (await healing.actions.list(actionListQuerySchema.parse({ triggerTarget: 'w{job="j0"}' }))).items.map(
      (a) => a.id
    ),
    heldNodes: await healing.actions.heldNodes(),
    alarming: await healing.actions.alarmingTargets(),
    audit: (await healing.audit.list(auditQuerySchema.parse({ limit: '500' }))).items,
    // With its total: PostgreSQL's count per target (its migration 12) is kept by its trigger as the entries are copied.
    auditOfTarget: await healing.audit
      .list(auditQuerySchema.parse({ target: 'w{job="j0"}' }))
      .then((page) => ({ ids: page.items.map((e) => e.id), total: page.total })),
    breakers: await healing.breakers.listOpen(),
    lastClosed: await healing.breakers.lastClosedAt('node n1'),
  };
}

describe('store:copy', () => {
  it('carries every row, read back through the PostgreSQL repositories as SQLite reads it, and continues its ids and keys', async () => {
    const dir = dataDir();
    const sqlite = openSqlite(dir);
    const { deletedPrediction } = await fill(sqlite);
    // As a file an earlier build wrote: one migration behind (0012 changes rows only).
    sqlite.db.exec('DELETE FROM schema_migrations WHERE id = 12');
    await sqlite.close();
    const url = await database();

    const log: string[] = [];
    const report = await copyStore({
      from: dir,
      to: url,
      log: (line) => log.push(line),
      batch: { rows: 2, bytes: 1 << 20 },
    });
    expect(report.skipped).toEqual([]);
    expect(report.tables.find((t) => t.table === 'pipeline_targets')?.rows).toBe(3);

    const reopened = openSqlite(dir);
    const postgres = await openPostgres(url);
    try {
      const expected = await readAll(reopened);
      expect(await readAll(postgres)).toEqual({ ...withoutNul(expected), checkpoint: expected.checkpoint });
      expect(expected.checkpoint.targets.map((t) => t.id).sort()).toEqual(['w{job="a"}', 'w{job="b"}', 'w{job="old"}']);
      expect(expected.kubernetes).toMatchObject({ value: { token: 't0ken', caData: 'CA' } });
      expect(expected.auditOfTarget.total).toBeGreaterThan(0);

      // PostgreSQL continues where SQLite stopped: ids above every one SQLite gave, deleted ones too.
      const maxAudit = Math.max(...expected.audit.map((e) => e.id));
      expect(await postgres.healing.audit.append({ at: T0 + 9, kind: 'waiting', message: 'after' })).toBe(maxAudit + 1);
      await postgres.pipeline.commitCycle({
        watch: 'w',
        lastProcessed: T0 + 40 * MINUTE,
        targets: [],
        anomalies: [anomalyRecord(5)],
        forgotten: [],
        predictions: [
          {
            targetId: 'w{job="a"}',
            watch: 'w',
            signal: 'x',
            madeAt: T0 + 9 * MINUTE,
            limit: 1,
            direction: 'above',
            seconds: 1,
            lowerSeconds: null,
            upperSeconds: null,
          },
        ],
      });
      const predictionIds = (await postgres.pipeline.predictions({ limit: 1000 })).map((p) => p.id);
      expect(Math.max(...predictionIds)).toBe(deletedPrediction + 1);
      // The proposal's key holds: the same trigger proposing the same action on the same target is refused.
      const first = expected.actions.find((a) => a.action.type === 'scale')!;
      expect(
        await postgres.healing.actions.insert({
          triggerKey: first.triggerKey,
          policy: 'p',
          gate: 'approve',
          action: scale,
          target: first.target,
          namespace: 'shop',
          at: T0 + 9,
        })
      ).toBeUndefined();
      expect(log).toContain(
        `${join(dir, 'failureprophet.db')}: migrations 12 applied, as this build's backend does at start`
      );
      expect(log.join('\n')).toMatch(/healing_audit: \d+ rows/);
    } finally {
      await reopened.close();
      await postgres.close();
    }
  });

  it('accounts for every table and column of both stores, and refuses a source table it does not know', async () => {
    const dir = dataDir();
    const url = await database();
    await (await openPostgres(url)).close();
    await openSqlite(dir).close();
    const pg = new CopyTarget(url);
    const source = openCopySource(dir);
    try {
      // A migration that adds a table or column fails here until the copy carries it (or says why not).
      expect(coverageGaps(source.schema(), await pg.schema())).toEqual([]);
    } finally {
      source.close();
      await pg.close();
    }

    const store = openSqlite(dir);
    store.db.exec('CREATE TABLE pipeline_future (id INTEGER PRIMARY KEY); ALTER TABLE models ADD COLUMN later TEXT');
    await store.close();
    await expect(copyStore({ from: dir, to: url })).rejects.toThrow(
      /does not cover the stores' schemas: SQLite column models\.later is not copied; SQLite table pipeline_future is not copied$/
    );
    expect(await targetState(url)).toEqual({ unfinished: false, nonEmpty: [] });
  });

  it('refuses a source a backend has open, a target holding rows, and a store a newer build wrote', async () => {
    const dir = dataDir();
    const running = openSqlite(dir);
    await running.settings.set('k', 1);
    const url = await database();
    try {
      await expect(copyStore({ from: dir, to: url })).rejects.toThrow(
        /failureprophet\.db is in use \(SQLite reports it locked\): stop the backend using it first/
      );
    } finally {
      await running.close();
    }
    // Another process holding it open, as a running backend does (SQLite's locks are per process on Unix).
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require('better-sqlite3'))(process.argv[1]); db.prepare('SELECT 1').get(); console.log('open'); process.stdin.resume();`,
        join(dir, 'failureprophet.db'),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] }
    );
    try {
      await once(holder.stdout, 'data');
      await expect(copyStore({ from: dir, to: url })).rejects.toThrow(/is in use \(SQLite reports it locked\)/);
    } finally {
      if (holder.exitCode === null) {
        holder.kill();
        await once(holder, 'exit');
      }
    }
    // Nothing was created on the target.
    expect(await targetState(url)).toEqual({ unfinished: false, nonEmpty: [] });
    await expect(copyStore({ from: dataDir(), to: url })).rejects.toThrow(/^no SQLite store at .*FP_DATA_DIR/);

    const used = await openPostgres(url);
    await used.settings.set('mine', true);
    await used.close();
    await expect(copyStore({ from: dir, to: url })).rejects.toThrow(
      /is not empty \(settings hold rows\): the copy fills an empty database only/
    );
    const kept = await openPostgres(url);
    expect(await kept.settings.get('mine', z.boolean())).toBe(true);
    await kept.close();

    const newerTarget = await database();
    await (await openPostgres(newerTarget)).close();
    const pool = new Pool({ connectionString: newerTarget });
    await pool.query("INSERT INTO schema_migrations (id, name, applied_at) VALUES (999, 'future', 0)");
    await pool.end();
    await expect(copyStore({ from: dir, to: newerTarget })).rejects.toThrow(
      /has migrations this backend does not know \(999\): it was written by a newer version/
    );

    const newer = openSqlite(dir);
    newer.db.exec("INSERT INTO schema_migrations (id, name, applied_at) VALUES (999, 'future', 0)");
    await newer.close();
    await expect(copyStore({ from: dir, to: await database() })).rejects.toThrow(
      /has migrations this backend does not know \(999\): it was written by a newer version/
    );
  });

  it('empties the target when it fails midway, says to run it again, and the run after copies', async () => {
    const dir = dataDir();
    const store = openSqlite(dir);
    await fill(store);
    // JSON that SQLite and JavaScript take but PostgreSQL's JSONB refuses (a number beyond its numeric
    // type's range): the copy fails at the models, after the tables before them were committed.
    store.db.exec(`UPDATE models SET params = '{"x":1e200000}' WHERE id = 2`);
    await store.close();
    const url = await database();
    const log: string[] = [];
    await expect(
      copyStore({ from: dir, to: url, log: (l) => log.push(l), batch: { rows: 1, bytes: 1 << 20 } })
    ).rejects.toThrow(
      /^the copy stopped at models: .*\. The target was emptied again: mend the cause and run the same command again$/
    );
    expect(log).toContain(
      'anomalies: 2 rows (1 values with U+FFFD for U+0000 or a lone surrogate, which PostgreSQL cannot store, as its store writes them)'
    );
    expect(await targetState(url)).toEqual({ unfinished: false, nonEmpty: [] });

    const mended = openSqlite(dir);
    mended.db.exec(`UPDATE models SET params = '{"x":1}' WHERE id = 2`);
    await mended.close();
    const report = await copyStore({ from: dir, to: url });
    expect(report.tables.find((t) => t.table === 'models')?.rows).toBe(3);
  });

  it('empties what a copy killed midway left, then copies', async () => {
    const dir = dataDir();
    const store = openSqlite(dir);
    await store.healing.audit.append({ at: T0, kind: 'waiting', message: 'kept' });
    await store.close();
    const url = await database();
    // What a copy leaves when its process dies after some rows: the marker and the rows.
    const killed = new CopyTarget(url);
    await killed.migrate();
    await killed.lock();
    await killed.markStarted('elsewhere');
    await killed.insert(
      COPIED_TABLES.find((t) => t.table === 'settings')!,
      [['half', '1', 0]]
    );
    await killed.close();

    const log: string[] = [];
    await copyStore({ from: dir, to: url, log: (l) => log.push(l) });
    expect(log).toContain(
      `PostgreSQL at ${describeUrl(url)} holds a copy that did not finish: emptied before copying again`
    );
    const copied = await openPostgres(url);
    try {
      expect(await copied.settings.get('half', z.unknown())).toBeUndefined();
      expect((await copied.healing.audit.list(auditQuerySchema.parse({}))).items.map((e) => e.message)).toEqual([
        'kept',
      ]);
    } finally {
      await copied.close();
    }
  });

  it('says to run it again when the server goes away midway, and the run after empties what was left and copies', async () => {
    const dir = await filledDataDir();
    const url = await database();
    let restarted = false;
    const restartAfterAnomalies = (line: string) => {
      if (line.startsWith('anomalies:') && !restarted) {
        restarted = true;
        // Synchronous: the server is gone (and back) before the copy's next statement.
        void server().restart();
      }
    };
    await expect(copyStore({ from: dir, to: url, log: restartAfterAnomalies })).rejects.toThrow(
      /^the copy stopped at anomaly_feedback: .*The target could not be emptied again .*: run the same command again, it empties a copy that did not finish before copying$/
    );
    expect(await targetState(url)).toMatchObject({ unfinished: true });
    const log: string[] = [];
    const report = await copyStore({ from: dir, to: url, log: (l) => log.push(l) });
    expect(log[0]).toMatch(/holds a copy that did not finish: emptied before copying again$/);
    expect(report.tables.find((t) => t.table === 'anomalies')?.rows).toBe(2);
  });

  it('carries values the API would not read as they are stored, and leaves out a target state no build can read', async () => {
    const dir = dataDir();
    const store = openSqlite(dir);
    store.db.exec(
      `INSERT INTO predictions (target_id, watch, signal, made_at_ms, limit_value, direction, seconds, lower_seconds, upper_seconds)
       VALUES ('t', 'w', 'x', 1, 1, 'above', 9e999, -9e999, NULL);
       INSERT INTO healing_triggers (key, source, trigger, opened_at) VALUES ('anomaly:odd', 'anomaly', '{"labels":7}', 1);
       INSERT INTO pipeline_targets (id, watch, labels, state, checkpoint, last_sample_ms, updated_at)
       VALUES ('w{job="lost"}', 'w', '{}', 'not JSON', NULL, 1, 1);`
    );
    await store.close();
    const url = await database();
    const report = await copyStore({ from: dir, to: url });
    expect(report.skipped).toEqual([
      {
        table: 'pipeline_targets',
        rowid: 1,
        reason: expect.stringMatching(/^its stored state cannot be read \(.*\): the target relearns$/),
      },
    ]);
    const pool = new Pool({ connectionString: url });
    try {
      const { rows } = await pool.query('SELECT seconds, lower_seconds, upper_seconds FROM predictions');
      expect(rows).toEqual([{ seconds: Infinity, lower_seconds: -Infinity, upper_seconds: null }]);
      const triggers = await pool.query('SELECT trigger::text, trigger_target FROM healing_triggers');
      expect(triggers.rows).toEqual([{ trigger: '{"labels": 7}', trigger_target: null }]);
      expect((await pool.query('SELECT id FROM pipeline_targets')).rows).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  it('writes U+0000 and lone surrogates U+FFFD as the PostgreSQL store does, counts them, and keeps a text spelling the escape', async () => {
    const dir = dataDir();
    const store = openSqlite(dir);
    // JSON.stringify writes a lone surrogate as the escape \ud800, which JSONB refuses; SQLite keeps it.
    const labels = JSON.stringify({ job: 'x\ud800', note: 'n\u0000', pair: '\ud83d\ude00', literal: '\\u0000' });
    store.db
      .prepare(
        `INSERT INTO healing_audit (at, kind, message, comment, "user", details) VALUES (1, 'approved', ?, ?, ?, ?)`
      )
      .run('m\u0000', 'typed \\u0000 and \\ud800', 'eve', labels);
    store.db
      .prepare(`INSERT INTO healing_triggers (key, source, trigger, opened_at) VALUES ('alert:x', 'alert', ?, 1)`)
      .run(JSON.stringify({ labels: { a: '\udc00b' } }));
    await store.close();
    const url = await database();
    const log: string[] = [];
    const report = await copyStore({ from: dir, to: url, log: (line) => log.push(line) });
    expect(report.mapped).toEqual([
      { table: 'healing_triggers', values: 1 },
      { table: 'healing_audit', values: 2 },
    ]);
    expect(log).toContainEqual(
      expect.stringMatching(/^healing_audit: 1 rows \(2 values with U\+FFFD for U\+0000 or a lone surrogate/)
    );
    const pool = new Pool({ connectionString: url });
    try {
      const { rows } = await pool.query('SELECT message, comment, details FROM healing_audit');
      expect(rows).toEqual([
        {
          message: 'm\ufffd',
          comment: 'typed \\u0000 and \\ud800',
          details: { job: 'x\ufffd', note: 'n\ufffd', pair: '\ud83d\ude00', literal: '\\u0000' },
        },
      ]);
      expect((await pool.query('SELECT trigger FROM healing_triggers')).rows).toEqual([
        { trigger: { labels: { a: '\ufffdb' } } },
      ]);
    } finally {
      await pool.end();
    }
  });

  it('says which key opens the sealed settings, and the replicas open them with it', async () => {
    const dir = dataDir();
    // As a backend without FP_SECRET_KEY: its key generated into the data dir.
    const store = openSqliteStore(dir, clock, { env: {} });
    const access = { mode: 'endpoint', url: 'https://k8s:6443', token: 't0ken' } as const;
    await new SettingsStore(store.settings, store.healing.audit).setKubernetes(access, T0);
    await store.close();
    const url = await database();
    const elsewhere = { FP_SECRET_KEY: randomBytes(32).toString('base64') };
    const report = await copyStore({ from: dir, to: url, env: elsewhere });
    const keyFile = join(dir, 'secret.key');
    expect(report.secrets).toEqual([
      `setting healing.kubernetes holds secrets sealed with the key from ${keyFile}: give every replica that key as FP_SECRET_KEY`,
    ]);
    for (const [env, readable] of [
      [{ FP_SECRET_KEY: readFileSync(keyFile, 'utf8').trim() }, true],
      [elsewhere, false],
    ] as const) {
      const replica = await openPostgresStore(url, { secrets: loadSecretBox(dataDir(), env) });
      try {
        const saved = await new SettingsStore(replica.settings, replica.healing.audit).kubernetes();
        expect(saved).toMatchObject(readable ? { value: access } : { unreadable: expect.any(String) });
      } finally {
        await replica.close();
      }
    }
  });

  it('never says the password of the URL', async () => {
    const dir = await filledDataDir();
    const withPassword = (url: string) => url.replace('//fp@', '//fp:hunter2-secret@');
    const url = withPassword(await database());
    const said: string[] = [];
    const report = await copyStore({ from: dir, to: url, log: (l) => said.push(l), env: {} });
    said.push(...report.secrets);
    await copyStore({ from: dir, to: url }).catch((err: Error) => said.push(err.message));
    const unreachable = url.replace(/:(\d+)\//, ':1/');
    await copyStore({ from: dir, to: unreachable }).catch((err: Error) => said.push(err.message));
    expect(said.join('\n')).toMatch(/is not empty/);
    expect(said.join('\n')).toMatch(/127\.0\.0\.1:1\/copy\d+ is unavailable/);
    expect(said.join('\n')).not.toMatch(/hunter2/);
  });
});

const targetState = async (url: string) => {
  const target = new CopyTarget(url);
  try {
    return await target.inspect();
  } finally {
    await target.close();
  }
};
