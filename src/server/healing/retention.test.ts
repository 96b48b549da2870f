import pino from 'pino';
import { Registry } from 'prom-client';
import { actionStateSchema, safetyLimitsSchema, type SafetyLimits } from '../../contract/healing';
import { openSqliteDatabase, type SqliteStore } from '../store/sqlite';
import { HealingMetrics } from './metrics';
import { PRUNE_INTERVAL_MS } from '../store/pruneCadence';
import { HealingRetention } from './retention';
import { FINISHED_STATES, OPEN_STATES } from './store/actionRows';

// Retention on a real SQLite store, driven by hand: when a prune starts, how it goes on over ticks a
// batch at a time, what it keeps for the safety limits, and what it says (log line, counter).

const DAY = 86_400_000;
const START = Date.parse('2025-06-01T12:00:00Z');

let store: SqliteStore;
afterEach(() => store.close());

function setUp(days: number, limits: SafetyLimits = safetyLimitsSchema.parse({})) {
  store = openSqliteDatabase(':memory:', () => START);
  let now = START;
  const logged: Array<{ level: number; msg: string; deleted?: unknown }> = [];
  const registry = new Registry();
  const retention = new HealingRetention({
    days,
    actions: store.healing.actions,
    breakers: store.healing.breakers,
    audit: store.healing.audit,
    limits: async () => limits,
    metrics: new HealingMetrics(registry, { awaitingApproval: async () => 0, killSwitchEngaged: async () => false }),
    logger: pino({ level: 'debug' }, { write: (line: string) => void logged.push(JSON.parse(line)) }),
    now: () => now,
  });
  const pruned = async () =>
    Object.fromEntries(
      (await registry.getSingleMetric('failureprophet_healing_pruned_total')!.get()).values.map((v) => [
        v.labels.table,
        v.value,
      ])
    );
  const count = (table: string) => (store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  return { retention, logged, pruned, count, advance: (ms: number) => (now += ms), now: () => now };
}

/** `n` closed triggers without actions (alerts no policy matched) and `n` audit entries, all at `at`. */
function oldRecords(n: number, at: number, tag: string): void {
  const trigger = store.db.prepare(
    `INSERT INTO healing_triggers (key, source, trigger, opened_at, closed_at) VALUES (?, 'alert', ?, ?, ?)`
  );
  const entry = store.db.prepare(`INSERT INTO healing_audit (at, kind, message) VALUES (?, 'trigger_opened', 'm')`);
  store.db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const json = JSON.stringify({ source: 'alert', id: `${tag}${i}`, labels: {}, severity: 'high', startedAt: at });
      trigger.run(`alert:${tag}${i}`, json, at, at);
      entry.run(at);
    }
  })();
}

it('keeps everything at 0 days', async () => {
  const s = setUp(0);
  oldRecords(3, START - 400 * DAY, 'a');
  await s.retention.tick();
  expect([s.count('healing_triggers'), s.count('healing_audit')]).toEqual([3, 3]);
  expect(await s.pruned()).toEqual({ healing_actions: 0, healing_triggers: 0, healing_breakers: 0, healing_audit: 0 });
});

it('prunes a batch of each per tick until nothing is left, says it once, and starts again an hour after it started', async () => {
  const s = setUp(30);
  oldRecords(1500, START - 31 * DAY, 'a');
  oldRecords(1000, START - 30 * DAY + 1_800_000, 'b'); // within the retention by half an hour: kept
  store.db.exec(`INSERT INTO healing_audit (at, kind, message)
                   SELECT at - ${2 * DAY}, kind, message FROM healing_audit WHERE at = ${START - 31 * DAY} LIMIT 1000`);

  // 2,500 entries and 1,500 triggers to go: a thousand rows of each per tick.
  await s.retention.tick();
  expect(await s.pruned()).toEqual({
    healing_actions: 0,
    healing_triggers: 1000,
    healing_breakers: 0,
    healing_audit: 1000,
  });
  await s.retention.tick();
  expect(await s.pruned()).toEqual({
    healing_actions: 0,
    healing_triggers: 1500,
    healing_breakers: 0,
    healing_audit: 2000,
  });
  expect(s.logged.filter((l) => l.msg.startsWith('healing retention'))).toEqual([]);
  await s.retention.tick();
  expect(await s.pruned()).toEqual({
    healing_actions: 0,
    healing_triggers: 1500,
    healing_breakers: 0,
    healing_audit: 2500,
  });
  expect([s.count('healing_triggers'), s.count('healing_audit')]).toEqual([1000, 1000]);
  expect(s.logged.filter((l) => l.msg.startsWith('healing retention'))).toEqual([
    expect.objectContaining({
      level: 30,
      msg: `healing retention pruned 0 finished actions, 1500 closed triggers and 0 closed circuit breakers from before ${new Date(START - 30 * DAY).toISOString()}, and 2500 audit entries from before ${new Date(START - 30 * DAY).toISOString()}`,
      deleted: { healing_actions: 0, healing_triggers: 1500, healing_breakers: 0, healing_audit: 2500 },
    }),
  ]);

  // The records that grow old meanwhile wait for the next prune, an hour after the last one started.
  s.advance(PRUNE_INTERVAL_MS - 60_000);
  await s.retention.tick();
  expect([s.count('healing_triggers'), s.count('healing_audit')]).toEqual([1000, 1000]);
  s.advance(60_000);
  await s.retention.tick();
  expect([s.count('healing_triggers'), s.count('healing_audit')]).toEqual([0, 0]);
  expect(await s.pruned()).toEqual({
    healing_actions: 0,
    healing_triggers: 2500,
    healing_breakers: 0,
    healing_audit: 3500,
  });
});

it('keeps finished actions as long as the safety limits look back, whatever the retention', async () => {
  const limits = safetyLimitsSchema.parse({ circuitBreaker: { maxRepeats: 3, windowSeconds: (60 * DAY) / 1000 } });
  const s = setUp(30, limits);
  oldRecords(2, START - 40 * DAY, 'a');
  await s.retention.tick();
  // The audit entries go after 30 days; the triggers stay until the breaker's 60-day window has passed.
  expect([s.count('healing_triggers'), s.count('healing_audit')]).toEqual([2, 0]);
  s.advance(21 * DAY);
  await s.retention.tick();
  expect(s.count('healing_triggers')).toBe(0);
  expect(s.logged.at(-1)).toMatchObject({
    msg: expect.stringContaining(`closed circuit breakers from before ${new Date(s.now() - 60 * DAY).toISOString()}`),
  });
});

it('says nothing above debug when there was nothing to prune', async () => {
  const s = setUp(30);
  await s.retention.tick();
  expect(s.logged.map((l) => [l.level, l.msg])).toEqual([[20, 'healing retention: nothing to prune']]);
});

it('takes every state of the lifecycle as open, finished, or succeeded (finished only for a notification outside a ladder)', () => {
  // A new state must be placed before a prune may decide about it.
  expect([...OPEN_STATES, ...FINISHED_STATES, 'succeeded'].sort()).toEqual([...actionStateSchema.options].sort());
});
