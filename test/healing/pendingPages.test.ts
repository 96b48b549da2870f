// The pending list in a storm: more actions wait than a page holds. The Actions page reads them a page
// at a time by the route's cursors (keyset by id, newest first), on either store; approving on a page
// and proposals arriving between page loads neither skip an action nor show one twice. Two replicas
// share the store as in a deployment: both take proposals in, a follower serves the page and takes
// the approval, and the leader executes what was approved while the next pages load.

import { Registry } from 'prom-client';
import { actionListSchema, safetyLimitsSchema } from '../../src/contract/healing';
import { healingRoutes } from '../../src/server/http/routes/healing';
import type { Store } from '../../src/server/store/store';
import { AUTH, injectingApp } from '../harness/server';
import { startHarness } from '../kube/harness';
import { deployment } from '../kube/objects';
import { engineOn } from './engineOn';
import { closeStores, electedAs, replicaStores, type ElectedRole } from './replicaStores';
import { anomaly } from './setup';

const T = Date.UTC(2025, 5, 1, 12);
const stores = replicaStores(T);
let round = 0;

describe.each(Object.keys(stores))('the pending list on %s', (kind) => {
  it('pages more pending actions than a page holds, through approvals and new proposals', async () => {
    const stored = await stores[kind](`pending${++round}`);
    const kube = await startHarness();
    for (const i of [...Array(25).keys(), 100, 101, 102]) {
      kube.kube.add(deployment({ namespace: 'shop', name: `web-${i}`, replicas: 2 }));
    }
    const replica = (store: Store, role: ElectedRole) =>
      engineOn(kube, store, {
        // A storm of 30 targets at once: no storm mode here, each proposal waits for its approval.
        limits: safetyLimitsSchema.parse({ storm: { maxAlarmingTargets: 1000 } }),
        ...electedAs(role, kube.clock.now()),
      });
    const [leader, follower] = [await replica(stored[0], 'leader'), await replica(stored[1], 'follower')];
    const app = await injectingApp({ store: stored[1], metrics: new Registry() }, healingRoutes(follower));
    let proposals = 0;
    // The replicas take the proposals in turn, as the Service spreads the pipeline's and Alertmanager's calls.
    const propose = async (i: number) =>
      (
        await [leader, follower][proposals++ % 2].onAnomaly(
          anomaly({ object: { kind: 'deployment', namespace: 'shop', name: `web-${i}` } })
        )
      )[0];
    const list = async (query: string) => {
      const res = await app.inject({ url: `/api/actions?state=awaiting_approval&limit=10${query}`, headers: AUTH });
      expect(res.statusCode).toBe(200);
      return actionListSchema.parse(res.json());
    };
    try {
      const proposed: number[] = [];
      for (let i = 0; i < 25; i++) {
        proposed.push(await propose(i));
      }
      const first = await list('');
      expect(first.total).toBe(25);
      expect(first.items.map((a) => a.id)).toEqual(proposed.slice(15).reverse());

      // Between page loads: three proposals arrive and one on the page shown is approved.
      const arrived = [await propose(100), await propose(101), await propose(102)];
      const approved = first.items[4].id;
      const decision = await app.inject({ method: 'POST', url: `/api/actions/${approved}/approve`, headers: AUTH });
      expect(decision.statusCode).toBe(200);
      void leader.tick();

      const second = await list(`&cursor=${first.next}`);
      const third = await list(`&cursor=${second.next}`);
      expect(second.total).toBe(27);
      expect(second.items.map((a) => a.id)).toEqual(proposed.slice(5, 15).reverse());
      expect(third.items.map((a) => a.id)).toEqual(proposed.slice(0, 5).reverse());
      expect(third.next).toBeNull();
      // Back to the newer pages: the arrivals are on the newest, nothing twice and nothing skipped.
      const back = await list(`&cursor=${second.previous}`);
      expect(back.items.map((a) => a.id)).toEqual(
        [...proposed.slice(15), ...arrived]
          .filter((id) => id !== approved)
          .reverse()
          .slice(-10)
      );
      const newest = await list('');
      const seen = [...back.items, ...second.items, ...third.items].map((a) => a.id);
      expect(new Set(seen).size).toBe(seen.length);
      const waiting = [...proposed, ...arrived].filter((id) => id !== approved);
      expect(new Set([...newest.items.map((a) => a.id), ...seen])).toEqual(new Set(waiting));
      await leader.idle();
      expect((await follower.actions.get(approved))!.state).toBe('succeeded');
    } finally {
      await app.close();
      await follower.stop();
      await leader.stop();
      await closeStores(stored);
      await kube.kube.close();
    }
  });
});
