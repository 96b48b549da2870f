import type { AnomalyTrigger } from '../../src/contract/healing';
import { triggerKey } from '../../src/server/healing/store/actionRows';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { openPostgresStore, type PostgresStore } from '../../src/server/store/postgres';
import { StoreUnavailableError } from '../../src/server/store/postgres/pool';
import { anomalyRecord, T0 } from '../harness/anomalyRecords';
import { startLosingProxy, type LosingProxy } from '../harness/pgProxy';
import { postgresForTests } from '../harness/postgres';

// A connection that dies after the server committed and before the client read the answer: the
// store retries on a fresh connection, and what it wrote must still be there once, not twice.
const postgres = postgresForTests();
let databases = 0;

let proxy: LosingProxy;
let store: PostgresStore;
let now = T0;

beforeEach(async () => {
  now = T0;
  const url = await postgres().createDatabase(`lost${++databases}`);
  proxy = await startLosingProxy(new URL(url).port === '' ? 5432 : Number(new URL(url).port));
  store = await openPostgresStore(proxy.url(url), {
    secrets: ephemeralSecretBox(),
    replica: 'replica-0',
    now: () => now,
  });
}, 60_000);

afterEach(async () => {
  await store?.close();
  await proxy?.close();
});

const count = async (sql: string): Promise<number> => Number((await store.pool.query(sql)).rows[0].n);

/** A cycle of watch `w` that stores one anomaly. */
const oneAnomalyCycle = () => ({
  watch: 'w',
  lastProcessed: T0,
  targets: [],
  anomalies: [anomalyRecord(0)],
  predictions: [],
  forgotten: [],
});

describe('a write whose answer is lost is done once', () => {
  it.each(['INSERT INTO healing_audit', 'COMMIT'])('an audit entry, the answer to %s lost', async (statement) => {
    proxy.loseAnswerTo(statement);
    const id = await store.healing.audit.append({ at: T0, kind: 'notified', message: 'storm summary' });
    expect(proxy.lost).toBe(1);
    const { items, total } = await store.healing.audit.list({ limit: 10, offset: 0, format: 'json' });
    expect(total).toBe(1);
    expect(items.map((e) => [e.id, e.message])).toEqual([[id, 'storm summary']]);
  });

  it('an audit entry written with a setting, the answer to its COMMIT lost', async () => {
    proxy.loseAnswerTo('COMMIT');
    const id = await store.healing.audit.appendWithSetting(
      { at: T0, kind: 'policies_changed', message: 'policy saved' },
      { key: 'healing.policy.test', value: { gate: 'approve' } }
    );
    expect(proxy.lost).toBe(1);
    expect((await store.healing.audit.list({ limit: 10, offset: 0, format: 'json' })).items.map((e) => e.id)).toEqual([
      id,
    ]);
  });

  it.each(['INSERT INTO anomaly_feedback', 'COMMIT'])(
    'an operator verdict, the answer to %s lost',
    async (statement) => {
      const [stored] = await store.pipeline.commitCycle(oneAnomalyCycle());
      proxy.loseAnswerTo(statement);
      await store.pipeline.addFeedback(stored.id!, 'false_positive', 'operator', 'ada', 'a deploy');
      expect(proxy.lost).toBe(1);
      expect((await store.pipeline.anomaly(stored.id!))!.feedback).toEqual([
        { kind: 'false_positive', source: 'operator', user: 'ada', comment: 'a deploy', at: T0 },
      ]);
    }
  );

  it('a model version, the answer to its COMMIT lost: the version it wrote, and the next one after it', async () => {
    const model = {
      watch: 'w',
      targetId: 'w{job="a"}',
      status: 'active' as const,
      reason: 'initial' as const,
      trainedAt: T0,
      rangeStart: T0 - 3_600_000,
      rangeEnd: T0,
      samples: 60,
      params: { detector: 'failureprophet' },
      threshold: 0.8,
      feedback: { falsePositive: 0, confirmed: 0 },
    };
    proxy.loseAnswerTo('COMMIT');
    expect(await store.pipeline.addModel(model)).toBe(1);
    expect(proxy.lost).toBe(1);
    expect(await count('SELECT COUNT(*) AS n FROM models')).toBe(1);
    expect(await store.pipeline.addModel({ ...model, reason: 'scheduled' as const })).toBe(2);
    expect((await store.pipeline.models({ target: model.targetId })).map((m) => [m.version, m.status])).toEqual([
      [2, 'active'],
      [1, 'superseded'],
    ]);
  });
});

/** A trigger opened and a scale action proposed on it, as the engine does: the action's id. */
async function proposedAction(): Promise<{ id: number; key: string }> {
  const trigger: AnomalyTrigger = {
    source: 'anomaly',
    id: 1,
    watch: 'memory',
    labels: { namespace: 'shop', pod: 'cart-0' },
    severity: 'critical',
    object: { kind: 'deployment', namespace: 'shop', name: 'cart' },
    startedAt: T0,
  };
  await store.healing.actions.openTrigger(trigger, T0, () => undefined);
  const id = await store.healing.actions.insert({
    triggerKey: triggerKey(trigger),
    policy: 'scale-out',
    gate: 'approve',
    action: {
      type: 'scale',
      target: { kind: 'deployment', namespace: 'shop', name: 'cart' },
      replicas: 4,
      ceiling: 10,
    },
    target: 'deployment shop/cart',
    namespace: 'shop',
    at: T0,
  });
  return { id: id!, key: triggerKey(trigger) };
}

describe('a healing write that is not keyed by its conditions goes through a request key', () => {
  it('a reason noted with its audit entry, the answer to its COMMIT lost: the entry is logged once', async () => {
    const { id } = await proposedAction();
    proxy.loseAnswerTo('COMMIT');
    await store.healing.actions.setReason(id, { kind: 'node-budget', message: 'waits' }, T0 + 1, {
      at: T0 + 1,
      kind: 'waiting',
      message: 'waits',
    });
    expect(proxy.lost).toBe(1);
    expect((await store.healing.actions.get(id))!.reason).toEqual({ kind: 'node-budget', message: 'waits' });
    expect(
      (await store.healing.audit.list({ limit: 10, offset: 0, format: 'json' })).items.map((e) => e.message)
    ).toEqual(['waits']);
  });

  it('a superseded action archived, the answer to its COMMIT lost: archived under its key once', async () => {
    const { id, key } = await proposedAction();
    await store.healing.actions.transition({ id, from: ['proposed'], to: 'superseded', at: T0 });
    proxy.loseAnswerTo('COMMIT');
    await store.healing.actions.archiveTriggerKey(id, T0 + 5);
    expect(proxy.lost).toBe(1);
    expect((await store.healing.actions.get(id))!.triggerKey).toBe(`${key}#superseded-${id}`);
    expect(await count('SELECT COUNT(*) AS n FROM healing_triggers')).toBe(2);
  });
});

describe('a pipeline cycle is not keyed: it runs again only until its COMMIT is sent', () => {
  it('the answer to an insert lost: the cycle runs again on a fresh connection and is written once', async () => {
    proxy.loseAnswerTo('INSERT INTO anomalies');
    const [stored] = await store.pipeline.commitCycle(oneAnomalyCycle());
    expect(proxy.lost).toBe(1);
    expect(await count('SELECT COUNT(*) AS n FROM anomalies')).toBe(1);
    expect(await store.pipeline.anomaly(stored.id!)).toBeDefined();
  });

  it('the answer to its COMMIT lost: the caller hears the store is unavailable, and nothing is written twice', async () => {
    proxy.loseAnswerTo('COMMIT');
    await expect(store.pipeline.commitCycle(oneAnomalyCycle())).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(proxy.lost).toBe(1);
    expect(await count('SELECT COUNT(*) AS n FROM anomalies')).toBe(1);
    expect(await store.pipeline.lastProcessed('w')).toBe(T0);
  });
});

it('forgets the keys of writes older than a day, a few at a time as writes go on', async () => {
  await store.healing.audit.append({ at: now, kind: 'notified', message: 'first' });
  now += 25 * 3_600_000;
  // Every 256th keyed write prunes: this one is it, and the first write's key goes.
  for (let i = 1; i < 256; i++) {
    await store.healing.audit.append({ at: now, kind: 'notified', message: `later ${i}` });
  }
  expect(await count('SELECT COUNT(*) AS n FROM store_requests')).toBe(255);
  expect(await count(`SELECT COUNT(*) AS n FROM store_requests WHERE at = ${T0}`)).toBe(0);
  expect(await count('SELECT COUNT(*) AS n FROM healing_audit')).toBe(256);
});
