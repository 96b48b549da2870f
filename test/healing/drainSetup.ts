// What the drain tests set up alike: a cluster with room to drain a node, both replicas' stores, the
// engine that runs now and its tear-down, the drain policy, and a drain's window closing mid-drain.

import type { PolicyInput } from '../../src/contract/healing';
import type { HealingEngine } from '../../src/server/healing';
import type { Store } from '../../src/server/store/store';
import { startHarness, type Harness } from '../kube/harness';
import { node, pod, type KubeObject } from '../kube/objects';
import { engineOn } from './engineOn';
import { closeStores, replicaStores } from './replicaStores';
import { anomaly, policy } from './setup';

/** The annotation a drain's cordon names it by, as an operator reads it on the node (kubectl get node -o yaml). */
export const CORDONED_BY = 'failureprophet.io/cordoned-by';

/** One test's cluster, the two replicas' stores, and the engine running now (on either store). */
export interface DrainRun {
  h: Harness;
  engine: HealingEngine;
  stored: Store[];
}

/** Stops the run's engine, closes its stores and the test server; nothing when no test started one. */
export async function endRun(run: DrainRun | undefined): Promise<void> {
  if (run) {
    await run.engine.stop();
    await closeStores(run.stored);
    await run.h.kube.close();
  }
}

/**
 * A drain test file's clusters and stores, all at `now`. Call it at the top of the file: it starts
 * the file's throwaway PostgreSQL; `database` names the databases its tests create, numbered.
 */
export function drainSuite(now: number, database: string) {
  const stores = replicaStores(now);
  let round = 0;
  return {
    /** The stores' kinds, one describe each. */
    kinds: Object.keys(stores),
    /** Both replicas' stores of that kind, on a database of their own. */
    stores: (kind: string) => stores[kind](`${database}${++round}`),
    /**
     * The Kubernetes API test server at `now`, holding `objects` and three Ready nodes besides them:
     * the Ready-node floor lets a drained node go.
     */
    async cluster(...objects: KubeObject[]): Promise<Harness> {
      const h = await startHarness();
      h.clock.advance(now - h.clock.now());
      h.kube.add(node('spare-1'), node('spare-2'), node('spare-3'), ...objects);
      return h;
    },
    /**
     * A run on a cluster holding `objects` whose engine, on the first replica's store of `kind` with
     * drainPolicy doing `action`, took a high anomaly of node n1; and the action it stored for it.
     */
    async proposed(kind: string, action: PolicyInput['action'], ...objects: KubeObject[]) {
      const h = await this.cluster(...objects);
      const stored = await this.stores(kind);
      const engine = await engineOn(h, stored[0], { policies: [policy({ ...drainPolicy, action })] });
      const run: DrainRun = { h, stored, engine };
      const [id] = await engine.onAnomaly(anomaly({ severity: 'high', object: { kind: 'node', name: 'n1' } }));
      await engine.idle();
      return { run, action: (await engine.actions.get(id))! };
    },
  };
}

/** Node `name` and its pods a-1 … a-`count` in shop, each a ReplicaSet's. */
export const nodeWithPods = (name: string, count: number, cordoned = false): KubeObject[] => [
  node(name, cordoned),
  ...Array.from({ length: count }, (_, i) =>
    pod({ namespace: 'shop', name: `a-${i + 1}`, nodeName: name, ownerKind: 'ReplicaSet' })
  ),
];

/** An automatic drain of a high anomaly's node. */
export const drainPolicy: PolicyInput = {
  name: 'drain',
  match: { severities: ['high'] },
  action: { type: 'drain' },
  gate: 'auto',
};

/** The drain policy automatic on Monday and Tuesday until 18:00 UTC. */
export const drainUntilSix: PolicyInput = {
  ...drainPolicy,
  autoWindows: { timeZone: 'UTC', windows: [{ days: ['mon', 'tue'], from: '08:00', to: '18:00' }] },
};

/** Monday 17:59 UTC: inside drainUntilSix's window, which closes a minute later, mid-drain. */
export const MINUTE_TO_SIX = Date.parse('2025-06-02T17:59:00Z');

/** The first evicted pod takes a poll to go, and meanwhile (once) two minutes pass: a window closing within them closes. */
export function closeWindowMidDrain(h: Harness): void {
  h.kube.setPodTerminationReads(1);
  let closed = false;
  h.clock.onSleep = () => {
    if (!closed) {
      closed = true;
      h.clock.advance(2 * 60_000);
    }
  };
}
