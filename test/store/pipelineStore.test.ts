import { anomaliesSql } from '../../src/server/pipeline/store/anomalyTable';
import { modelsSql } from '../../src/server/pipeline/store/modelTable';
import { predictionsSql } from '../../src/server/pipeline/store/predictionTable';
import { SqlitePipelineRepository } from '../../src/server/pipeline/store/sqliteRepository';
import { encodeState } from '../../src/server/pipeline/store/stateCodec';
import type { CycleWrite, PipelineRepository, StoredTarget } from '../../src/server/pipeline/store/repository';
import type { PredictionRecord } from '../../src/server/pipeline/targetModel';
import { jobTarget, testSettings } from '../../src/server/pipeline/testTargets';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { openPostgresStore, type PostgresStore } from '../../src/server/store/postgres';
import { PostgresPipelineRepository } from '../../src/server/store/postgres/pipeline';
import { StoredRowError } from '../../src/server/store/rows';
import { openSqliteDatabase } from '../../src/server/store/sqlite';
import { anomalyRecord, cycleWrite, T0 } from '../harness/anomalyRecords';
import { startPostgres, type RunningPostgres } from '../harness/postgres';

// One contract, two stores: the embedded SQLite and a real PostgreSQL (Debian's, a throwaway
// cluster started once for this file, a fresh database per test).
const MINUTE = 60_000;
let now = T0;
const clock = () => now;

interface Opened {
  repo: PipelineRepository;
  /** Runs SQL on the store underneath, `?` for each parameter (to corrupt a row, or refuse one). */
  exec(sql: string, ...params: unknown[]): Promise<void>;
  /** The raw checkpoint bytes of a stored target. */
  checkpointBytes(id: string): Promise<Uint8Array>;
  /** Makes the store refuse a target row of this id (so a commit fails inside its transaction). */
  refuseTarget(id: string): Promise<void>;
  close(): Promise<void>;
}

let server: RunningPostgres | undefined;
let databases = 0;
const postgresStores: PostgresStore[] = [];

beforeAll(async () => {
  server = await startPostgres();
}, 120_000);

afterAll(async () => {
  for (const s of postgresStores.splice(0)) {
    await s.close().catch(() => undefined);
  }
  await server?.stop();
}, 120_000);

const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

const stores: Array<[string, () => Promise<Opened>]> = [
  [
    'SQLite',
    async () => {
      const store = openSqliteDatabase(':memory:', clock);
      return {
        repo: new SqlitePipelineRepository(store.db, clock),
        exec: async (sql, ...params) => void store.db.prepare(sql).run(...params),
        checkpointBytes: async (id) =>
          (store.db.prepare('SELECT checkpoint FROM pipeline_targets WHERE id = ?').get(id) as { checkpoint: Buffer })
            .checkpoint,
        refuseTarget: async (id) =>
          void store.db.exec(
            `CREATE TRIGGER refuse BEFORE INSERT ON pipeline_targets WHEN NEW.id = '${id}' BEGIN SELECT RAISE(ABORT, 'refused'); END`
          ),
        close: async () => store.close(),
      };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const store = await openPostgresStore(await server!.createDatabase(`p${++databases}`), {
        secrets: ephemeralSecretBox(),
        limits: { maxConnections: 4 },
      });
      postgresStores.push(store);
      return {
        repo: new PostgresPipelineRepository(store.pool, store.where, 5, clock),
        exec: async (sql, ...params) => void (await store.pool.query(numbered(sql), params)),
        checkpointBytes: async (id) =>
          (await store.pool.query('SELECT checkpoint FROM pipeline_targets WHERE id = $1', [id])).rows[0].checkpoint,
        refuseTarget: async (id) =>
          void (await store.pool.query(`ALTER TABLE pipeline_targets ADD CONSTRAINT refuse CHECK (id <> '${id}')`)),
        close: () => store.close(),
      };
    },
  ],
];

const anomaly = anomalyRecord;

const prediction = (targetId: string, madeAt: number): PredictionRecord => ({
  targetId,
  watch: 'w',
  signal: 'disk',
  madeAt,
  limit: 100,
  direction: 'above',
  seconds: 600,
  lowerSeconds: 300,
  upperSeconds: null,
});

/** A target that has learned: its detector state holds NaN and infinities as real ones do. */
function learned(job: string, steps = 20): StoredTarget {
  const id = `w{job="${job}"}`;
  const model = jobTarget(job, testSettings({ stepMs: MINUTE, probation: 3, closeAfter: 2 }), 0.5);
  model.signalIndex({ name: 'x', kind: 'cpu', limits: { above: 1 } });
  for (let i = 0; i < steps; i++) {
    model.step(T0 + i * MINUTE, [0.2 + (i % 3) / 10 + (i === 15 ? 5 : 0)]);
  }
  const state = model.toState();
  state.signals[0].detector.probe = [NaN, Infinity, -Infinity, -0, 5e-324];
  return { id, watch: 'w', labels: { job }, state };
}

const cycle = (extra: Partial<CycleWrite> = {}): CycleWrite => cycleWrite(extra);

const model = (targetId: string, status: 'active' | 'failed', trainedAt: number) => ({
  watch: 'w',
  targetId,
  status,
  reason: 'initial' as const,
  trainedAt,
  rangeStart: trainedAt - 60 * MINUTE,
  rangeEnd: trainedAt,
  samples: 60,
  params: { detector: 'failureprophet', excludedWindows: [[1, 2]] },
  threshold: 0.8,
  feedback: { falsePositive: 1, confirmed: 0 },
  ...(status === 'failed' ? { error: 'no samples in the history range' } : {}),
});

describe.each(stores)('the pipeline store on %s', (_name, open) => {
  let s: Opened;
  beforeEach(async () => {
    now = T0;
    s = await open();
  }, 60_000);
  afterEach(() => s.close());

  it('writes a cycle and reads every part back in the contract’s shapes', async () => {
    const a = learned('a');
    const stored = await s.repo.commitCycle(
      cycle({
        lastProcessed: T0 + 5 * MINUTE,
        targets: [a],
        anomalies: [anomaly(0), anomaly(1, { state: 'open', severity: 'critical' })],
        predictions: [prediction(a.id, T0)],
        peers: { 'deployment=web/cpu': { members: ['a', 'b'], state: { scale: NaN, top: -Infinity } } },
      })
    );
    const [id0, id1] = stored.map((x) => x.id!);
    expect(id1).toBeGreaterThan(id0);
    expect(await s.repo.lastProcessed('w')).toBe(T0 + 5 * MINUTE);
    expect(await s.repo.lastProcessed('other')).toBeNull();
    expect(await s.repo.loadPeers('w')).toEqual({
      'deployment=web/cpu': { members: ['a', 'b'], state: { scale: NaN, top: -Infinity } },
    });
    expect(await s.repo.loadPeers('other')).toEqual({});
    expect(await s.repo.loadTargets('w')).toEqual([a]);
    // A target's record without its state (the detail of a target no runner scores reads it).
    expect(await s.repo.targetRecord(a.id)).toEqual({ watch: 'w', labels: { job: 'a' }, lastSampleAt: a.state.lastAt });
    expect(await s.repo.targetRecord('w{job="none"}')).toBeUndefined();
    expect(await s.repo.anomaly(id1)).toEqual({
      id: id1,
      target: 'w{job="j1"}',
      watch: 'w',
      labels: { job: 'j1' },
      start: T0 + MINUTE,
      end: T0 + 3 * MINUTE,
      peakScore: 0.9,
      severity: 'critical',
      failureModel: 'crash',
      state: 'open',
      signals: ['up'],
      direction: 'below',
      reasons: ['the target stopped answering'],
      feedback: [],
    });
    expect(await s.repo.anomaly(id1 + 100)).toBeUndefined();
    expect((await s.repo.anomalies({ state: 'open' })).map((x) => x.id)).toEqual([id1]);
    expect(await s.repo.predictions({ target: a.id })).toEqual([
      expect.objectContaining({ signal: 'disk', madeAt: T0, upperSeconds: null, predictedFailureAt: T0 + 600_000 }),
    ]);

    expect(await s.repo.annotationOf(id0)).toBeNull();
    await s.repo.setAnnotation(id0, 77);
    expect(await s.repo.annotationOf(id0)).toBe(77);

    now = T0 + 10 * MINUTE;
    await s.repo.addFeedback(id0, 'false_positive', 'operator', 'ada', 'a deploy');
    await s.repo.addFeedback(id1, 'false_positive', 'operator', 'ada', null);
    now = T0 + 11 * MINUTE;
    await s.repo.addFeedback(id1, 'confirmed', 'verification', null, 'action 3 healed it');
    expect((await s.repo.anomaly(id1))!.feedback).toEqual([
      { kind: 'confirmed', source: 'verification', user: null, comment: 'action 3 healed it', at: T0 + 11 * MINUTE },
      { kind: 'false_positive', source: 'operator', user: 'ada', comment: null, at: T0 + 10 * MINUTE },
    ]);
    expect((await s.repo.anomalyPage({})).anomalies.map((x) => x.feedback.length)).toEqual([2, 1]);
    // Training takes an operator's word over a later verification's (an anomaly that ended after an action need not be one the action healed).
    expect(await s.repo.labelledWindows('w{job="j1"}')).toEqual({
      falsePositive: [[T0 + MINUTE, T0 + 3 * MINUTE]],
      confirmed: [],
    });
    expect(await s.repo.labelledWindows('w{job="j0"}')).toEqual({
      falsePositive: [[T0, T0 + 2 * MINUTE]],
      confirmed: [],
    });

    expect(await s.repo.addModel(model(a.id, 'active', T0))).toBe(1);
    expect(await s.repo.addModel(model(a.id, 'failed', T0 + MINUTE))).toBe(2);
    expect(await s.repo.addModel(model(a.id, 'active', T0 + 2 * MINUTE))).toBe(3);
    expect(await s.repo.addModel(model('w{job="b"}', 'active', T0 + 3 * MINUTE))).toBe(1);
    expect((await s.repo.models({ target: a.id })).map((m) => [m.version, m.status, m.error])).toEqual([
      [3, 'active', null],
      [2, 'failed', 'no samples in the history range'],
      [1, 'superseded', null],
    ]);
    expect(await s.repo.models({ status: 'active', limit: 1 })).toEqual([
      expect.objectContaining({
        target: 'w{job="b"}',
        params: { detector: 'failureprophet', excludedWindows: [[1, 2]] },
        feedback: { falsePositive: 1, confirmed: 0 },
      }),
    ]);
  });

  it('records a target’s first version from one start once: a cycle run again after its checkpoint was refused finds it', async () => {
    const first = { ...model('w{job="c"}', 'active', T0), rangeEnd: T0 - MINUTE, samples: 59 };
    expect(await s.repo.addModel(first)).toBe(1);
    // Run again, the cycle learned a step more before it recorded the version: the first one stays.
    expect(await s.repo.addModel(model('w{job="c"}', 'active', T0))).toBe(1);
    expect(await s.repo.addModel(model('w{job="d"}', 'active', T0))).toBe(1);
    // A retraining from the same start, and a first version from a later start (the target vanished and came back), are new.
    expect(await s.repo.addModel({ ...model('w{job="c"}', 'active', T0), reason: 'scheduled' })).toBe(2);
    expect(await s.repo.addModel(model('w{job="c"}', 'active', T0 + MINUTE))).toBe(3);
    expect(
      (await s.repo.models({ target: 'w{job="c"}' })).map((m) => [m.version, m.reason, m.status, m.samples])
    ).toEqual([
      [3, 'initial', 'active', 60],
      [2, 'scheduled', 'superseded', 60],
      [1, 'initial', 'superseded', 59],
    ]);
    // The watch changed: its fresh models replay the same history, and their first versions are new.
    expect(await s.repo.adoptDefinition('w', 'queries: a')).toBe(false);
    expect(await s.repo.adoptDefinition('w', 'queries: b')).toBe(true);
    expect(await s.repo.models({ watch: 'w', status: 'active' })).toEqual([]);
    expect(await s.repo.addModel(model('w{job="d"}', 'active', T0))).toBe(2);
  });

  it('stores a replayed cycle as an update (same ids, no copies) and forgets the targets it is told to', async () => {
    const first = await s.repo.commitCycle(
      cycle({ targets: [learned('a'), learned('b')], anomalies: [anomaly(0, { state: 'open' })] })
    );
    const again = await s.repo.commitCycle(
      cycle({
        lastProcessed: T0 + MINUTE,
        targets: [learned('a', 21)],
        anomalies: [anomaly(0, { end: T0 + 9 * MINUTE, peakScore: 0.97 }), anomaly(0, { end: T0 + 9 * MINUTE })],
        predictions: [prediction('w{job="a"}', T0), { ...prediction('w{job="a"}', T0), seconds: 900 }],
        forgotten: ['w{job="b"}'],
      })
    );
    expect(again.map((x) => x.id)).toEqual([first[0].id, first[0].id]);
    expect(await s.repo.anomalies({})).toEqual([
      expect.objectContaining({ id: first[0].id, end: T0 + 9 * MINUTE, state: 'closed' }),
    ]);
    expect((await s.repo.predictions({})).map((p) => p.seconds)).toEqual([900]);
    expect((await s.repo.loadTargets('w')).map((t) => [t.id, t.state.steps])).toEqual([['w{job="a"}', 21]]);
  });

  it('keeps peer groups by group: a cycle writes those it scored, deletes those forgotten, the others stay; an unreadable row is replaced', async () => {
    const group = (scale: number) => ({ members: ['a', 'b', 'c'], state: { scale, top: -Infinity } });
    await s.repo.commitCycle(cycle({ peers: { 'deployment=web/cpu': group(1), 'deployment=api/cpu': group(2) } }));
    // Another replica's groups: the first replica's stay.
    await s.repo.commitCycle(cycle({ peers: { 'deployment=cart/cpu': group(3) } }));
    await s.repo.commitCycle(cycle({ peers: { 'deployment=web/cpu': group(NaN) } }));
    // No peers at all (a watch without them, or a cycle that scored none): everything stays.
    await s.repo.commitCycle(cycle());
    expect(await s.repo.loadPeers('w')).toEqual({
      'deployment=web/cpu': group(NaN),
      'deployment=api/cpu': group(2),
      'deployment=cart/cpu': group(3),
    });
    // A group whose members were forgotten goes, with or without groups written beside it.
    await s.repo.commitCycle(cycle({ peersForgotten: ['deployment=cart/cpu'] }));
    await s.repo.commitCycle(
      cycle({ peers: { 'deployment=web/cpu': group(5) }, peersForgotten: ['deployment=api/cpu'] })
    );
    expect(await s.repo.loadPeers('w')).toEqual({ 'deployment=web/cpu': group(5) });
    await s.exec(`UPDATE pipeline_watches SET peers = '[1, 2]'`);
    await s.repo.commitCycle(cycle({ peers: { 'deployment=api/cpu': group(4) } }));
    expect(await s.repo.loadPeers('w')).toEqual({ 'deployment=api/cpu': group(4) });
  });

  it('stores states without a resume point (the pieces of a large checkpoint ahead of its last transaction): the resume point and peer groups stay', async () => {
    const group = { members: ['a', 'b'], state: { scale: 2 } };
    await s.repo.commitCycle(cycle({ lastProcessed: T0 + MINUTE, peers: { 'deployment=web/cpu': group } }));
    const a = learned('a');
    await s.repo.commitCycle({ ...cycle({ targets: [a] }), lastProcessed: undefined });
    expect(await s.repo.lastProcessed('w')).toBe(T0 + MINUTE);
    expect(await s.repo.loadPeers('w')).toEqual({ 'deployment=web/cpu': group });
    expect((await s.repo.loadTargets('w')).map((t) => t.id)).toEqual([a.id]);
    // Before any resume point: the watch still has none.
    await s.repo.commitCycle({
      ...cycle({ watch: 'v', targets: [{ ...learned('b'), watch: 'v' }] }),
      lastProcessed: undefined,
    });
    expect(await s.repo.lastProcessed('v')).toBeNull();
    expect((await s.repo.loadTargets('v')).length).toBe(1);
  });

  it('drops the state learned under another definition, keeping the record of what happened', async () => {
    expect(await s.repo.adoptDefinition('w', 'v1')).toBe(false);
    await s.repo.commitCycle(
      cycle({ targets: [learned('a')], anomalies: [anomaly(0)], peers: { g: { members: ['a'], state: {} } } })
    );
    expect(await s.repo.adoptDefinition('w', 'v1')).toBe(false);
    expect(await s.repo.lastProcessed('w')).toBe(T0);
    expect(await s.repo.adoptDefinition('w', 'v2')).toBe(true);
    expect(await s.repo.lastProcessed('w')).toBeNull();
    expect(await s.repo.loadTargets('w')).toEqual([]);
    expect(await s.repo.loadPeers('w')).toEqual({});
    expect(await s.repo.anomalies({})).toHaveLength(1);
    expect(await s.repo.adoptDefinition('w', 'v2')).toBe(false);
  });

  it('commits a cycle whole or not at all: a failure inside leaves the previous cycle as it was', async () => {
    const before = learned('a', 10);
    const [kept] = await s.repo.commitCycle(
      cycle({ targets: [before], anomalies: [anomaly(0, { state: 'open' })], predictions: [prediction(before.id, T0)] })
    );
    await s.refuseTarget('w{job="boom"}');
    const failing = cycle({
      lastProcessed: T0 + 30 * MINUTE,
      anomalies: [anomaly(0, { end: T0 + 30 * MINUTE }), anomaly(5)],
      predictions: [prediction(before.id, T0 + 30 * MINUTE)],
      targets: [learned('a', 30), learned('boom')],
      forgotten: [],
      peers: { g: { members: ['a'], state: {} } },
    });
    now = T0 + 30 * MINUTE;
    // Matched by message: better-sqlite3 builds its errors with the SqliteError of the first test file
    // that loaded it in this Jest worker (another realm), which `rejects.toThrow` does not count as thrown.
    await expect(s.repo.commitCycle(failing)).rejects.toMatchObject({ message: expect.stringMatching(/refuse/) });
    expect(failing.anomalies.map((a) => a.id)).toEqual([undefined, undefined]);
    expect(await s.repo.lastProcessed('w')).toBe(T0);
    expect(await s.repo.loadPeers('w')).toEqual({});
    expect(await s.repo.anomalies({})).toEqual([expect.objectContaining({ id: kept.id, end: T0 + 2 * MINUTE })]);
    expect((await s.repo.predictions({})).map((p) => p.madeAt)).toEqual([T0]);
    expect(await s.repo.loadTargets('w')).toEqual([before]);
    // The store is not left in a broken transaction: the next cycle commits.
    await s.repo.commitCycle({ ...failing, targets: [learned('a', 30)] });
    expect(await s.repo.lastProcessed('w')).toBe(T0 + 30 * MINUTE);
  });

  it('keeps its keyset pages stable while anomalies are added: every row once, none skipped', async () => {
    await s.repo.commitCycle(cycle({ anomalies: Array.from({ length: 40 }, (_, i) => anomaly(i * 2)) }));
    const original = (await s.repo.anomalies({ limit: 1000 })).map((a) => a.id);
    const seen: number[] = [];
    let cursor: string | undefined;
    let round = 0;
    do {
      const page = await s.repo.anomalyPage({ limit: 7, cursor });
      seen.push(...page.anomalies.map((a) => a.id));
      cursor = page.next ?? undefined;
      // Between pages, newer anomalies and older ones (between the rows already read) arrive.
      await s.repo.commitCycle(cycle({ anomalies: [anomaly(1000 + round), anomaly(round * 2 + 1)] }));
      round++;
    } while (cursor !== undefined);
    expect(new Set(seen).size).toBe(seen.length);
    expect(original.every((id) => seen.includes(id))).toBe(true);
    const starts = (await s.repo.anomalies({ limit: 1000 })).map((a) => a.start);
    expect(starts).toEqual([...starts].sort((x, y) => y - x));
  });

  it('round-trips a checkpoint bit-exact, NaN, infinities and negative zero included', async () => {
    const a = learned('a');
    await s.repo.commitCycle(cycle({ targets: [a] }));
    const bytes = Buffer.from(await s.checkpointBytes(a.id));
    expect(bytes.equals(encodeState(a.state))).toBe(true);
    const [back] = await s.repo.loadTargets('w');
    expect(back.state).toEqual(a.state);
    expect(back.state.signals[0].detector.probe).toEqual([NaN, Infinity, -Infinity, -0, 5e-324]);
    expect(Object.is((back.state.signals[0].detector.probe as number[])[3], -0)).toBe(true);
  });

  it('trains with the latest operator feedback on an anomaly, else the latest verification', async () => {
    const ids = (await s.repo.commitCycle(cycle({ anomalies: [0, 1, 2, 3].map((i) => anomaly(i)) }))).map((a) => a.id!);
    const say: Array<[number, 'false_positive' | 'confirmed', 'operator' | 'verification']> = [
      [0, 'false_positive', 'operator'],
      [0, 'confirmed', 'verification'], // healing verified an action: the operator still said false positive
      [1, 'confirmed', 'verification'], // no operator word: the verification counts
      [2, 'confirmed', 'operator'],
      [2, 'false_positive', 'operator'], // an operator changed their mind
      [3, 'false_positive', 'operator'],
      [3, 'confirmed', 'verification'],
      [3, 'confirmed', 'operator'],
    ];
    for (const [i, kind, source] of say) {
      now += MINUTE;
      await s.repo.addFeedback(ids[i], kind, source, source === 'operator' ? 'ada' : null, null);
    }
    const window = (i: number): [number, number] => [T0 + i * MINUTE, T0 + (i + 2) * MINUTE];
    expect(await Promise.all([0, 1, 2, 3].map((i) => s.repo.labelledWindows(`w{job="j${i}"}`)))).toEqual([
      { falsePositive: [window(0)], confirmed: [] },
      { falsePositive: [], confirmed: [window(1)] },
      { falsePositive: [window(2)], confirmed: [] },
      { falsePositive: [], confirmed: [window(3)] },
    ]);
  });

  it('lists an anomaly with a feedback row it cannot read without that row, and tells it once', async () => {
    const [id] = (await s.repo.commitCycle(cycle({ anomalies: [anomaly(0)] }))).map((a) => a.id!);
    await s.repo.addFeedback(id, 'false_positive', 'operator', 'ada', null);
    await s.repo.addFeedback(id, 'confirmed', 'operator', 'bob', null);
    await s.exec(
      `UPDATE anomaly_feedback SET kind = 'maybe' WHERE user${s.repo instanceof PostgresPipelineRepository ? '_name' : ''} = 'bob'`
    );
    const warned = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const readable = [expect.objectContaining({ kind: 'false_positive', user: 'ada' })];
      expect((await s.repo.anomalies({}))[0].feedback).toEqual(readable);
      expect((await s.repo.anomalyPage({ limit: 1 })).anomalies[0].feedback).toEqual(readable);
      expect((await s.repo.anomaly(id))!.feedback).toEqual(readable);
      expect(warned.mock.calls.map(([message]) => message)).toEqual([
        expect.stringMatching(/^anomaly_feedback row \d+ is invalid at kind: .*left out of its anomaly's feedback$/),
      ]);
    } finally {
      warned.mockRestore();
    }
  });

  it('names a stored target it cannot read instead of failing the others', async () => {
    await s.repo.commitCycle(cycle({ targets: [learned('a'), learned('b')] }));
    await s.exec('UPDATE pipeline_targets SET checkpoint = ? WHERE id = ?', Buffer.from('not a state'), 'w{job="b"}');
    const { targets, unreadable } = await s.repo.loadCheckpoint('w');
    expect(targets.map((t) => t.id)).toEqual(['w{job="a"}']);
    expect(unreadable).toEqual([{ id: 'w{job="b"}', error: expect.stringMatching(/not a serialised target state/) }]);
    await expect(s.repo.loadTargets('w')).rejects.toThrow(/stored state of target w\{job="b"\} unreadable/);
  });

  describe('rows that do not fit are refused with a StoredRowError naming the row and the field', () => {
    let ids: number[];
    beforeEach(async () => {
      ids = (await s.repo.commitCycle(cycle({ anomalies: [anomaly(0), anomaly(1)], peers: {} }))).map((a) => a.id!);
    });

    it.each([
      ['a severity it does not know', `UPDATE anomalies SET severity = 'catastrophic' WHERE id = ?`, /at severity/],
      ['labels that are not text values', `UPDATE anomalies SET labels = '{"job": 7}' WHERE id = ?`, /at labels\.job/],
      ['signals that are not a list', `UPDATE anomalies SET signals = '"up"' WHERE id = ?`, /at signals/],
    ])('an anomaly with %s', async (_what, sql, field) => {
      await s.exec(sql, ids[1]);
      for (const read of [() => s.repo.anomalies({}), () => s.repo.anomaly(ids[1])]) {
        await expect(read()).rejects.toThrow(StoredRowError);
        await expect(read()).rejects.toThrow(new RegExp(`^anomalies row ${ids[1]} is invalid ${field.source}`));
      }
      expect((await s.repo.anomaly(ids[0]))?.labels).toEqual({ job: 'j0' });
    });

    it('feedback, predictions, models and peer groups', async () => {
      await s.repo.addFeedback(ids[0], 'confirmed', 'operator', 'ada', null);
      await s.exec(`UPDATE anomaly_feedback SET kind = 'maybe'`);
      await expect(s.repo.labelledWindows('w{job="j0"}')).rejects.toThrow(StoredRowError);
      await expect(s.repo.labelledWindows('w{job="j0"}')).rejects.toThrow(
        /^anomaly_feedback row \d+ is invalid at kind/
      );

      await s.repo.commitCycle(cycle({ predictions: [prediction('w{job="j0"}', T0)] }));
      await s.exec(`UPDATE predictions SET direction = 'sideways'`);
      await expect(s.repo.predictions({})).rejects.toThrow(/^predictions row \d+ is invalid at direction/);

      await s.repo.addModel(model('w{job="j0"}', 'active', T0));
      await s.exec(`UPDATE models SET params = '[1, 2]'`);
      await expect(s.repo.models({})).rejects.toThrow(/^models row \d+ is invalid at params/);
      await s.exec(`UPDATE models SET params = '{}', status = 'archived'`);
      await expect(s.repo.models({})).rejects.toThrow(/^models row \d+ is invalid at status/);

      await s.exec(`UPDATE pipeline_watches SET peers = '{"g": {"members": "a,b", "state": {}}}'`);
      await expect(s.repo.loadPeers('w')).rejects.toThrow(/^pipeline_watches row w is invalid at peers\.g\.members/);
    });
  });
});

describe('the PostgreSQL list queries read an index in order, not a sort of the table', () => {
  const ROWS = 20_000;
  const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
  let store: PostgresStore;
  beforeAll(async () => {
    store = await openPostgresStore(await server!.createDatabase('plans'), {
      secrets: ephemeralSecretBox(),
      limits: { maxConnections: 2 },
    });
    postgresStores.push(store);
    const repo = new PostgresPipelineRepository(store.pool, store.where, 3, clock);
    const rows = Array.from({ length: ROWS }, (_, i) =>
      anomaly(i, {
        targetId: `w${i % 3}{job="j${i % 7}"}`,
        watch: `w${i % 3}`,
        severity: SEVERITIES[i % 4],
        state: i % 9 === 0 ? 'open' : 'closed',
      })
    );
    await repo.commitCycle(cycle({ anomalies: rows, predictions: rows.map((a) => prediction(a.targetId, a.start)) }));
    await repo.addModel(model('w0{job="j0"}', 'active', T0));
    // As many model versions, written directly: what is tested here is the indexes, not the writes.
    await store.pool.query(
      `INSERT INTO models (watch, target_id, version, status, reason, trained_at, range_start, range_end, samples, params,
         threshold, feedback_fp, feedback_confirmed)
       SELECT 'w' || (i % 3), 'w' || (i % 3) || '{job="j' || (i % 7) || '"}', i + 1, 'superseded', 'scheduled', $1::bigint + i * 60000,
         $1::bigint, $1::bigint, 60, '{}', 0.8, 0, 0
       FROM generate_series(1, $2) AS i`,
      [T0, ROWS]
    );
    await store.pool.query('ANALYZE');
  }, 120_000);

  interface PlanNode {
    'Node Type': string;
    'Plan Rows': number;
    Plans?: PlanNode[];
  }
  /** Every node of a plan (EXPLAIN FORMAT JSON), depth first. */
  const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

  const cursor = Buffer.from(JSON.stringify([T0 + 15_000 * MINUTE, 15_000])).toString('base64url');
  it.each([
    ['anomalies, no filter', anomaliesSql({}, 501, '*')],
    ['anomalies of a target', anomaliesSql({ target: 'w1{job="j1"}' }, 501, '*')],
    ['anomalies of a watch', anomaliesSql({ watch: 'w2' }, 501, '*')],
    ['anomalies of a severity', anomaliesSql({ severity: 'high' }, 501, '*')],
    ['open anomalies', anomaliesSql({ state: 'open' }, 501, '*')],
    ['anomalies of a watch and a state', anomaliesSql({ watch: 'w1', state: 'closed' }, 501, '*')],
    ['anomalies since a time', anomaliesSql({ from: T0 + 10_000 * MINUTE }, 501, '*')],
    ['anomalies after a cursor', anomaliesSql({ cursor }, 501, '*')],
    ['anomalies of a watch after a cursor', anomaliesSql({ watch: 'w0', cursor }, 501, '*')],
    ['predictions', predictionsSql({})],
    ['predictions of a target', predictionsSql({ target: 'w1{job="j1"}' })],
    ['predictions of a watch', predictionsSql({ watch: 'w2' })],
    ['models', modelsSql({})],
    ['models of a watch', modelsSql({ watch: 'w1' })],
  ])('%s', async (_name, { sql, params }) => {
    const { rows } = await store.pool.query(`EXPLAIN (FORMAT JSON) ${numbered(sql)}`, params);
    const plan = nodes(rows[0]['QUERY PLAN'][0].Plan);
    const types = plan.map((n) => n['Node Type']);
    expect(types).not.toContain('Seq Scan');
    expect(types.some((t) => /^(Bitmap )?Index (Only )?Scan$/.test(t))).toBe(true);
    // The planner may sort the rows of one target read through its index (a few hundred), never the table.
    for (const sort of plan.filter((n) => /Sort$/.test(n['Node Type']))) {
      expect(sort.Plans![0]['Plan Rows']).toBeLessThan(ROWS / 10);
    }
  });
});

describe('PostgreSQL shared by replicas', () => {
  it('numbers model versions of one target recorded at once by two replicas 1..n, one of them active', async () => {
    const url = await server!.createDatabase('replicas');
    const [a, b] = await Promise.all(
      [1, 2].map(() => openPostgresStore(url, { secrets: ephemeralSecretBox(), limits: { maxConnections: 3 } }))
    );
    postgresStores.push(a, b);
    const repos = [a, b].map((s) => new PostgresPipelineRepository(s.pool, s.where, 4, clock));
    const versions = await Promise.all(
      Array.from({ length: 12 }, (_, i) => repos[i % 2].addModel(model('w{job="a"}', 'active', T0 + i)))
    );
    expect([...versions].sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const stored = await repos[1].models({ target: 'w{job="a"}' });
    expect(stored.filter((m) => m.status === 'active')).toHaveLength(1);
    expect(stored).toHaveLength(12);
  }, 60_000);

  it('answers again after the server restarted under it: the next read and the next cycle succeed', async () => {
    const store = await openPostgresStore(await server!.createDatabase('restart'), {
      secrets: ephemeralSecretBox(),
      limits: { maxConnections: 2 },
    });
    postgresStores.push(store);
    const repo = new PostgresPipelineRepository(store.pool, store.where, 3, clock);
    await repo.commitCycle(cycle({ targets: [learned('a')], anomalies: [anomaly(0)] }));
    await server!.restart();
    expect(await repo.lastProcessed('w')).toBe(T0);
    await repo.commitCycle(cycle({ lastProcessed: T0 + MINUTE, anomalies: [anomaly(0, { end: T0 + 5 * MINUTE })] }));
    expect(await repo.anomalies({})).toEqual([expect.objectContaining({ end: T0 + 5 * MINUTE })]);
  }, 120_000);
});
