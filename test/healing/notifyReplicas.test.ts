// The notifications' hourly cap holds across replicas: it is counted in the store, inside the claim
// that takes each notification for sending. Two engines on one store (SQLite in one process;
// PostgreSQL through two pools, as two replicas), one of them the leader as in a deployment, propose a
// storm of notifications at once. (Two engines that both lead, each without an election, take each
// other's executing actions for a dead process's and reconcile them: no deployment runs so.)

import pino from 'pino';
import { Registry } from 'prom-client';
import { policySchema, safetyLimitsSchema } from '../../src/contract/healing';
import { HealingEngine } from '../../src/server/healing';
import type { Notifier } from '../../src/server/healing/notify';
import type { Store } from '../../src/server/store/store';
import { TestClock } from '../pipeline/helpers';
import { closeStores, replicaStores } from './replicaStores';
import { anomaly, recordingNotifier } from './setup';

const T = Date.UTC(2025, 5, 1, 12);
const stores = replicaStores(T);

let round = 0;

describe.each(Object.keys(stores))('notifications on %s shared by two replicas', (kind) => {
  it('send at most the hourly cap between them when both take a storm of targets at once', async () => {
    const [storeA, storeB] = await stores[kind](`notify${++round}`);
    const clock = new TestClock(T);
    const replica = async (store: Store, notifier: Notifier, leads: boolean) =>
      HealingEngine.open({
        store,
        clock,
        logger: pino({ level: 'silent' }),
        metrics: new Registry(),
        policies: [policySchema.parse({ name: 'tell', action: { type: 'notify' }, gate: 'auto' })],
        limits: safetyLimitsSchema.parse({ notifications: { maxPerHour: 5 } }),
        notifier,
        leads: () => leads,
      });
    const notifiers = [recordingNotifier(), recordingNotifier()];
    const engines = [await replica(storeA, notifiers[0], true), await replica(storeB, notifiers[1], false)];
    try {
      const triggers = Array.from({ length: 24 }, (_, i) =>
        anomaly({ severity: 'medium', object: { kind: 'deployment', namespace: 'shop', name: `web-${i}` } })
      );
      const ids = (await Promise.all(triggers.map((t, i) => engines[i % 2].onAnomaly(t)))).flat();
      await Promise.all(engines.map((e) => e.idle()));
      expect(ids).toHaveLength(24);
      expect(notifiers[0].sent.length + notifiers[1].sent.length).toBe(5);
      const states = await Promise.all(ids.map(async (id) => (await engines[0].actions.get(id))!));
      expect(states.filter((a) => a.state === 'succeeded')).toHaveLength(5);
      expect(states.filter((a) => a.reason?.kind === 'notification-rate-limit')).toHaveLength(19);
    } finally {
      for (const engine of engines) {
        await engine.stop();
      }
      await closeStores([storeA, storeB]);
    }
  });
});
