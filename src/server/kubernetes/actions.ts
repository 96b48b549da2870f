import { kubernetesActionSchema, type KubeActionResult, type KubernetesAction } from '../../contract/healing';
import { KubeClient } from './client';
import { deletePod } from './pods';
import { drain } from './drain';
import type { DrainControl, DrainReport } from './drainRun';
import { KubeError } from './errors';
import { cordon, uncordon } from './nodes';
import { restart, scale } from './workloads';

/** A Kubernetes action as a policy names it and the engine persists it (declared in the contract). */
export { kubernetesActionSchema as kubeActionSchema };
export type KubeAction = KubernetesAction;
export type KubeActionType = KubeAction['type'];

export type ActionResult = KubeActionResult;

/** Success, or an error; a failed drain also says what it did and which pods it left. */
export type ActionOutcome = { ok: true; value: ActionResult } | { ok: false; error: KubeError; report?: DrainReport };

/** A server-side dry run (`dryRun=All`: validated by the API server, nothing changes), and how a drain is steered. */
export interface ExecuteOptions extends DrainControl {
  dryRun?: boolean;
}

export function executeKubeAction(
  client: KubeClient,
  action: KubeAction,
  options: ExecuteOptions = {}
): Promise<ActionOutcome> {
  const { dryRun } = options;
  switch (action.type) {
    case 'scale':
      return scale(client, { ...action, dryRun });
    case 'restart':
      return restart(client, { ...action, dryRun });
    case 'delete-pod':
      return deletePod(client, { ...action, dryRun });
    case 'cordon':
      return cordon(client, { node: action.node, dryRun, owner: options.owner });
    case 'uncordon':
      return uncordon(client, { node: action.node, dryRun });
    case 'drain':
      return drain(client, {
        ...action,
        dryRun,
        owner: options.owner,
        resume: options.resume,
        onProgress: options.onProgress,
        shouldStop: options.shouldStop,
        shouldPause: options.shouldPause,
        mayEvict: options.mayEvict,
      });
  }
}

/**
 * The action with what its dry run decided written into it: the replica count a delta came to and
 * the count it started from, the restartedAt value, the pod's UID. Executing a pinned action twice
 * changes nothing the second time, a reconcile after a crash can tell whether it ran, and it runs
 * only on the world its dry run saw (another replica count or another pod makes it refuse).
 */
export function pinAction(action: KubeAction, dryRun: ActionResult): KubeAction {
  if (action.type === 'scale' && dryRun.action === 'scale') {
    return {
      type: 'scale',
      target: action.target,
      replicas: dryRun.to,
      expectReplicas: dryRun.from,
      ceiling: action.ceiling,
    };
  }
  if (action.type === 'restart' && dryRun.action === 'restart') {
    return { ...action, restartedAt: dryRun.restartedAt };
  }
  // The pod the dry run saw, so a replay after a crash never deletes its replacement.
  if (action.type === 'delete-pod' && dryRun.action === 'delete-pod' && dryRun.uid && !action.expectUid) {
    return { ...action, expectUid: dryRun.uid };
  }
  return action;
}
