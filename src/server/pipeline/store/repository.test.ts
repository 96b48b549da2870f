import { anomalyRecord, T0 } from '../../../../test/harness/anomalyRecords';
import { openSqliteDatabase, type SqliteStore } from '../../store/sqlite';
import { StoredRowError } from '../../store/rows';
import { SqlitePipelineRepository } from './sqliteRepository';

const MINUTE = 60_000;

describe('PipelineRepository: what it reads back from SQLite is checked', () => {
  let store: SqliteStore;
  let repo: SqlitePipelineRepository;
  let ids: number[];
  beforeEach(async () => {
    store = openSqliteDatabase(':memory:', () => T0);
    repo = new SqlitePipelineRepository(store.db, () => T0);
    ids = (
      await repo.commitCycle({
        watch: 'w',
        lastProcessed: T0,
        targets: [],
        anomalies: [0, 1, 2].map((i) => anomalyRecord(i)),
        predictions: [
          {
            targetId: 'w{job="j0"}',
            watch: 'w',
            signal: 'disk',
            madeAt: T0,
            limit: 100,
            direction: 'above',
            seconds: 600,
            lowerSeconds: 300,
            upperSeconds: null,
          },
        ],
        forgotten: [],
        peers: { 'deployment=web/cpu': { members: ['a', 'b', 'c'], state: { scale: NaN } } },
      })
    ).map((a) => a.id ?? -1);
    await repo.addModel({
      watch: 'w',
      targetId: 'w{job="j0"}',
      status: 'active',
      reason: 'initial',
      trainedAt: T0,
      rangeStart: T0 - 60 * MINUTE,
      rangeEnd: T0,
      samples: 60,
      params: { detector: 'failureprophet' },
      threshold: 0.8,
      feedback: { falsePositive: 0, confirmed: 0 },
    });
  });
  afterEach(() => store.close());

  const corrupt = (sql: string, ...params: unknown[]) => store.db.prepare(sql).run(...params);

  it('reads back what it wrote, with the contract’s shapes', async () => {
    expect((await repo.anomalies({})).map((a) => [a.id, a.labels, a.severity, a.signals, a.feedback])).toEqual(
      [2, 1, 0].map((i) => [ids[i], { job: `j${i}` }, 'high', ['up'], []])
    );
    expect(await repo.predictions({})).toEqual([
      expect.objectContaining({ signal: 'disk', direction: 'above', predictedFailureAt: T0 + 600_000 }),
    ]);
    expect(await repo.models({})).toEqual([
      expect.objectContaining({ version: 1, status: 'active', params: { detector: 'failureprophet' } }),
    ]);
    expect((await repo.loadPeers('w'))['deployment=web/cpu'].state).toEqual({ scale: NaN });
    expect(await repo.lastProcessed('w')).toBe(T0);
  });

  it.each([
    ['a severity it does not know', `UPDATE anomalies SET severity = 'catastrophic' WHERE id = ?`, /at severity/],
    ['labels that are not JSON', `UPDATE anomalies SET labels = '{job:' WHERE id = ?`, /at labels: not JSON/],
    ['labels that are not text values', `UPDATE anomalies SET labels = '{"job": 7}' WHERE id = ?`, /at labels\.job/],
    ['signals that are not a list', `UPDATE anomalies SET signals = '"up"' WHERE id = ?`, /at signals/],
    ['a peak score that is not a number', `UPDATE anomalies SET peak_score = 'high' WHERE id = ?`, /at peak_score/],
  ])('refuses an anomaly row with %s, naming the row and the field', async (_what, sql, field) => {
    corrupt(sql, ids[1]);
    for (const read of [() => repo.anomalies({}), () => repo.anomaly(ids[1])]) {
      await expect(read()).rejects.toThrow(StoredRowError);
      await expect(read()).rejects.toThrow(new RegExp(`^anomalies row ${ids[1]} is invalid ${field.source}`));
    }
    // The other rows still read one by one.
    expect((await repo.anomaly(ids[0]))?.labels).toEqual({ job: 'j0' });
  });

  it('refuses feedback of a kind it does not know to training, and leaves it out of the anomaly it lists', async () => {
    await repo.addFeedback(ids[0], 'confirmed', 'operator', 'ada', null);
    expect((await repo.anomaly(ids[0]))?.feedback).toEqual([
      { kind: 'confirmed', source: 'operator', user: 'ada', comment: null, at: T0 },
    ]);
    corrupt(`UPDATE anomaly_feedback SET kind = 'maybe'`);
    await expect(repo.labelledWindows('w{job="j0"}')).rejects.toThrow(/^anomaly_feedback row \d+ is invalid at kind/);
    const warned = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      expect((await repo.anomalies({})).map((a) => [a.id, a.feedback])).toEqual(ids.map((id) => [id, []]).reverse());
      expect(warned).toHaveBeenCalledTimes(1);
    } finally {
      warned.mockRestore();
    }
  });

  it('refuses prediction and model rows that do not fit, naming them', async () => {
    corrupt(`UPDATE predictions SET direction = 'sideways'`);
    await expect(repo.predictions({})).rejects.toThrow(/^predictions row \d+ is invalid at direction/);
    corrupt(`UPDATE models SET params = '[1, 2]'`);
    await expect(repo.models({})).rejects.toThrow(/^models row \d+ is invalid at params/);
    corrupt(`UPDATE models SET params = '{}', status = 'archived'`);
    await expect(repo.models({})).rejects.toThrow(/^models row \d+ is invalid at status/);
  });

  it('refuses stored peer groups of another shape (the pipeline relearns them) and a resume point that is not a time', async () => {
    corrupt(`UPDATE pipeline_watches SET peers = '{"g": {"members": "a,b,c", "state": {}}}'`);
    await expect(repo.loadPeers('w')).rejects.toThrow(/^pipeline_watches row w is invalid at peers\.g\.members/);
    corrupt(`UPDATE pipeline_watches SET last_processed_ms = 'yesterday'`);
    await expect(repo.lastProcessed('w')).rejects.toThrow(/^pipeline_watches row w is invalid at last_processed_ms/);
  });
});
