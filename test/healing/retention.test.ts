// The engine prunes on its tick, the leader's only, once FP_HEALING_RETENTION_DAYS asks for it: a rejected
// proposal on an anomaly that closed goes with its trigger and audit entries once it is older than the
// retention; the open one of another anomaly stays. Both stores, two replicas on one database.

import pino from 'pino';
import { Registry } from 'prom-client';
import { safetyLimitsSchema } from '../../src/contract/healing';
import { HealingEngine } from '../../src/server/healing';
import type { Store } from '../../src/server/store/store';
import { TestClock } from '../pipeline/helpers';
import { closeStores, replicaStores } from './replicaStores';
import { anomaly, policy, recordingNotifier } from './setup';

const DAY = 86_400_000;
const T = Date.parse('2025-06-01T12:00:00Z');
const stores = replicaStores(T);
let round = 0;

const pruned = async (metrics: Registry) =>
  (await metrics.getSingleMetric('failureprophet_healing_pruned_total')!.get()).values
    .filter((v) => v.value > 0)
    .map((v) => [v.labels.table, v.value]);

describe.each(Object.keys(stores))('retention on %s', (kind) => {
  it("prunes on the leader's tick what is older than the retention, and keeps what is still open", async () => {
    const [storeA, storeB] = await stores[kind](`retention${++round}`);
    const clock = new TestClock(T);
    const replica = (store: Store, leads: boolean, retentionDays?: number) => {
      const metrics = new Registry();
      const opened = HealingEngine.open({
        store,
        clock,
        logger: pino({ level: 'silent' }),
        metrics,
        policies: [policy({ name: 'tell', action: { type: 'notify', message: 'look at {target}' }, gate: 'approve' })],
        // Proposals wait for a person longer than the retention: the open one is still open when the prune runs.
        limits: safetyLimitsSchema.parse({ approvalTimeoutSeconds: (100 * DAY) / 1000 }),
        notifier: recordingNotifier(),
        leads: () => leads,
        retentionDays,
      });
      return opened.then((engine) => ({ engine, metrics }));
    };
    const leader = await replica(storeA, true, 30);
    const follower = await replica(storeB, false, 30);
    const keeper = await replica(storeB, true);
    try {
      const { engine } = leader;
      const closed = anomaly({ watch: 'memory' });
      const [rejected] = await engine.onAnomaly(closed);
      expect((await engine.reject(rejected, 'bob', 'not now')).ok).toBe(true);
      await engine.onAnomalyClosed(closed.id);
      clock.advance(20 * DAY);
      const [waiting] = await engine.onAnomaly(anomaly({ watch: 'latency' }));
      await engine.idle();
      expect((await engine.actions.get(waiting))?.state).toBe('awaiting_approval');
      const entries = async () => (await engine.audit.list({ limit: 500, offset: 0, format: 'json' })).items;
      const olderEntries = (await entries()).filter((e) => e.at < T + DAY).length;
      expect(olderEntries).toBeGreaterThan(2);

      clock.advance(11 * DAY);
      // No retention set, or not leading: nothing goes.
      for (const other of [follower, keeper]) {
        await other.engine.tick();
        await other.engine.idle();
      }
      expect((await engine.actions.get(rejected))?.state).toBe('rejected');
      expect(await pruned(follower.metrics)).toEqual([]);

      await engine.tick();
      await engine.idle();
      expect(await engine.actions.get(rejected)).toBeUndefined();
      expect(await engine.actions.trigger(`anomaly:${closed.id}`)).toBeUndefined();
      expect((await engine.actions.get(waiting))?.state).toBe('awaiting_approval');
      expect((await entries()).every((e) => e.at >= T + 20 * DAY)).toBe(true);
      expect(await pruned(leader.metrics)).toEqual([
        ['healing_actions', 1],
        ['healing_triggers', 1],
        ['healing_audit', olderEntries],
      ]);
    } finally {
      await leader.engine.stop();
      await follower.engine.stop();
      await keeper.engine.stop();
      await closeStores([storeA, storeB]);
    }
  });
});
