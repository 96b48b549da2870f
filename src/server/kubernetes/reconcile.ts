import type { Reconciliation } from '../../contract/healing';
import { KubeAction } from './actions';
import { call, KubeClient } from './client';
import type { EvictionPolicy } from './drainRun';
import { orphansAmong, planPod, podsOnNode } from './drainPods';
import { KubeResult, ok } from './errors';
import { readNode } from './nodes';
import { podRequest } from './pods';
import { readReplicas, readRestartedAt, workloadName } from './workloads';

const seen = (state: Reconciliation['state'], observed: string): KubeResult<Reconciliation> => ok({ state, observed });

/**
 * For an action that may or may not have run (the backend died between approval and the end of
 * execution): reads the cluster and says whether its effect is already there.
 */
export async function reconcile(
  client: KubeClient,
  action: KubeAction,
  /** For a drain: pods in namespaces it may not evict do not count as left to do. */
  mayEvict?: EvictionPolicy
): Promise<KubeResult<Reconciliation>> {
  switch (action.type) {
    case 'scale': {
      if (action.replicas === undefined) {
        return seen(
          'unknown',
          `scale of ${workloadName(action.target)} by a delta: cannot tell whether it was applied`
        );
      }
      const target = Math.min(Math.max(action.replicas, 1), action.ceiling);
      const current = await readReplicas(client, action.target);
      if (!current.ok) {
        return current;
      }
      return seen(
        current.value === target ? 'done' : 'not-done',
        `${workloadName(action.target)} has ${current.value} replicas, target ${target}`
      );
    }
    case 'restart': {
      if (!action.restartedAt) {
        return seen(
          'unknown',
          `restart of ${workloadName(action.target)} without a restartedAt value: cannot tell whether it was applied`
        );
      }
      const current = await readRestartedAt(client, action.target);
      if (!current.ok) {
        return current;
      }
      return seen(
        current.value === action.restartedAt ? 'done' : 'not-done',
        `${workloadName(action.target)} restartedAt is ${current.value ?? 'unset'}, ours ${action.restartedAt}`
      );
    }
    case 'delete-pod': {
      const { namespace, name, expectUid } = action;
      const read = await call(client, podRequest('get', namespace, name), (options) =>
        client.core.readNamespacedPod({ name, namespace }, options)
      );
      if (!read.ok) {
        return read.error.kind === 'not-found' ? seen('done', `pod ${namespace}/${name} is gone`) : read;
      }
      const uid = read.value.metadata?.uid;
      if (!expectUid) {
        return seen(
          'unknown',
          `a pod ${namespace}/${name} exists (uid ${uid}); without the uid we meant, cannot tell whether it is a replacement`
        );
      }
      if (uid !== expectUid) {
        return seen('done', `pod ${namespace}/${name} was replaced (uid ${uid})`);
      }
      return read.value.metadata?.deletionTimestamp
        ? seen('done', `pod ${namespace}/${name} is terminating`)
        : seen('not-done', `pod ${namespace}/${name} (uid ${uid}) is still running`);
    }
    case 'cordon':
    case 'uncordon': {
      const node = await readNode(client, action.node);
      if (!node.ok) {
        return node;
      }
      const cordoned = node.value.spec?.unschedulable === true;
      return seen(
        cordoned === (action.type === 'cordon') ? 'done' : 'not-done',
        `node ${action.node} is ${cordoned ? 'cordoned' : 'schedulable'}`
      );
    }
    case 'drain': {
      const node = await readNode(client, action.node);
      if (!node.ok) {
        return node;
      }
      if (node.value.spec?.unschedulable !== true) {
        return seen('not-done', `node ${action.node} is schedulable`);
      }
      const pods = await podsOnNode(client, action.node);
      if (!pods.ok) {
        return pods;
      }
      const licence = { ...action, mayEvict };
      const orphaned = await orphansAmong(client, pods.value, licence);
      if (!orphaned.ok) {
        return orphaned;
      }
      const remaining = pods.value.filter((pod) => planPod(pod, licence, orphaned.value) === 'evict');
      return remaining.length === 0
        ? seen('done', `node ${action.node} is cordoned and runs no pod a drain would evict`)
        : seen(
            'not-done',
            `node ${action.node} is cordoned and still runs ${remaining.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).join(', ')}`
          );
    }
  }
}

export type { Reconciliation };
