// Issue 16: replicas on one store recount the alarming targets at once; one storm must still be
// started, announced and ended once. Two engines on one store (SQLite in one process; PostgreSQL
// through two pools, as two replicas), one leading and one following as in a deployment, race on the
// same transitions: every replica takes triggers in and recounts, whichever leads.

import pino from 'pino';
import { Registry } from 'prom-client';
import { safetyLimitsSchema } from '../../src/contract/healing';
import { HealingEngine } from '../../src/server/healing';
import type { Notifier } from '../../src/server/healing/notify';
import type { Store } from '../../src/server/store/store';
import { closeStores, electedAs, replicaStores, type ElectedRole } from './replicaStores';
import { TestClock } from '../pipeline/helpers';
import { anomaly, recordingNotifier } from './setup';

const T = Date.UTC(2025, 5, 1, 12);
/** Two replicas' stores on one database: the same SQLite, or two PostgreSQL pools. */
const stores = replicaStores(T);

let round = 0;

describe.each(Object.keys(stores))('storm mode on %s shared by two replicas', (kind) => {
  it('starts, announces and ends one storm once when both replicas recount at the same moment', async () => {
    const [storeA, storeB] = await stores[kind](`storm${++round}`);
    const clock = new TestClock(T);
    const limits = safetyLimitsSchema.parse({ storm: { maxAlarmingTargets: 2 } });
    const replica = async (store: Store, notifier: Notifier, role: ElectedRole) =>
      HealingEngine.open({
        store,
        clock,
        logger: pino({ level: 'silent' }),
        metrics: new Registry(),
        policies: [],
        limits,
        notifier,
        ...electedAs(role, T),
      });
    const notifiers = [recordingNotifier(), recordingNotifier()];
    const engines = [await replica(storeA, notifiers[0], 'leader'), await replica(storeB, notifiers[1], 'follower')];
    try {
      const target = (i: number) => anomaly({ object: { kind: 'deployment', namespace: 'shop', name: `web-${i}` } });
      const triggers = [0, 1, 2, 3, 4, 5].map(target);
      await engines[0].onAnomaly(triggers[0]);
      await engines[1].onAnomaly(triggers[1]);
      // Each replica hears of two more targets at once: both count more than 2 and both would start it.
      await Promise.all([
        engines[0].onAnomaly(triggers[2]),
        engines[1].onAnomaly(triggers[3]),
        engines[0].onAnomaly(triggers[4]),
        engines[1].onAnomaly(triggers[5]),
      ]);
      const storms = async () =>
        (await engines[0].audit.list({ kind: ['storm'], limit: 10, offset: 0, format: 'json' })).items
          .map((e) => e.message)
          .reverse();
      expect(notifiers[0].sent.length + notifiers[1].sent.length).toBe(1);
      expect(await storms()).toEqual([expect.stringMatching(/^storm: \d targets alarm at once \(more than 2\)/)]);
      expect(await engines[1].storm.refusal()).toMatchObject({ kind: 'storm' });

      // Every target recovers, each replica closing its own at once: the storm ends once.
      await Promise.all(triggers.map((t, i) => engines[i % 2].onAnomalyClosed(t.id)));
      expect(await storms()).toEqual([
        expect.stringMatching(/^storm: /),
        expect.stringMatching(/^storm over: [0-2] targets alarm \(at most 2\)/),
      ]);
      expect(await engines[0].storm.refusal()).toBeUndefined();
      expect(notifiers[0].sent.length + notifiers[1].sent.length).toBe(1);
    } finally {
      for (const engine of engines) {
        await engine.stop();
      }
      await closeStores([storeA, storeB]);
    }
  });
});
