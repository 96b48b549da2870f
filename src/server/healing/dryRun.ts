import type { DryRunRecord, KubernetesTestResponse, PlannedAction, Reason } from '../../contract/healing';
import { type ActionResult, type EvictionPolicy, executeKubeAction, type KubeClient, pinAction } from '../kubernetes';
import { call } from '../kubernetes/client';
import { dryRunRecord, isKubeAction, kubeReason } from './kube';
import type { Notifier } from './notify';

const KUBE_NOT_CONFIGURED =
  'Kubernetes is not configured: set it in Grafana (Failure Prophet → Configuration → Connection), or give the backend FP_KUBE_URL and FP_KUBE_TOKEN, KUBECONFIG, or kubernetes: in its config file';

export interface DryRun {
  record: DryRunRecord;
  /** What the Kubernetes module answered, when the dry run went through. */
  result?: ActionResult;
  /** The action as it will run, pinned by the dry run. */
  pinned?: PlannedAction;
  /** The dry run says there is nothing to do (a scale already at its count, or a scale-out at or above its ceiling). */
  noop?: Reason;
}

/** The server-side dry run (`dryRun=All`) of a Kubernetes action, or where a notification would go. */
export async function dryRunAction(
  action: PlannedAction,
  target: string,
  at: number,
  kube?: KubeClient,
  notifier?: Notifier,
  mayEvict?: EvictionPolicy
): Promise<DryRun> {
  if (!isKubeAction(action)) {
    const plan = notifier?.plan() ?? { ok: false, summary: 'notifications are not configured' };
    return {
      record: {
        ok: plan.ok,
        at,
        summary: plan.summary,
        changes: [],
        ...(plan.ok ? {} : { error: { kind: 'not-configured', message: plan.summary } }),
      },
    };
  }
  if (!kube) {
    return {
      record: {
        ok: false,
        at,
        summary: KUBE_NOT_CONFIGURED,
        changes: [],
        error: { kind: 'not-configured', message: KUBE_NOT_CONFIGURED },
      },
    };
  }
  const outcome = await executeKubeAction(kube, action, { dryRun: true, mayEvict });
  const record = dryRunRecord(outcome, at);
  if (!outcome.ok) {
    return { record };
  }
  const result = outcome.value;
  if (result.action === 'scale' && result.from === result.to) {
    // A scale-out of a workload above the ceiling (lowered since, or scaled by someone else) leaves it
    // as it is: the ceiling holds a scale-out back, it never scales the workload in.
    const ceiling = action.type === 'scale' ? action.ceiling : result.to;
    return result.clamped === 'ceiling'
      ? {
          record,
          result,
          noop: {
            kind: 'replica-ceiling',
            message:
              result.from > ceiling
                ? `${target} already has ${result.from} replicas, above the ceiling of ${ceiling}: scaling out further is not allowed, and the ceiling never scales in`
                : `${target} already has ${result.from} replicas, the ceiling: scaling out further is not allowed`,
          },
        }
      : {
          record,
          result,
          noop: { kind: 'nothing-to-do', message: `${target} already has ${result.to} replicas: nothing to do` },
        };
  }
  if ((result.action === 'cordon' || result.action === 'uncordon') && !result.changed) {
    return {
      record,
      result,
      noop: {
        kind: 'nothing-to-do',
        message: `node ${result.node} is already ${result.action === 'cordon' ? 'cordoned' : 'schedulable'}: nothing to do`,
      },
    };
  }
  // Pinned: running it twice changes nothing the second time, and a reconcile can tell whether it ran.
  return { record, result, pinned: pinAction(action, result) };
}

/** Answers in words whether Kubernetes is reachable, and whether it accepts a server-side dry run of `action`. */
export async function testKubernetes(
  kube: KubeClient | undefined,
  action?: PlannedAction,
  mayEvict?: EvictionPolicy
): Promise<KubernetesTestResponse> {
  if (!kube) {
    return { ok: false, message: `${KUBE_NOT_CONFIGURED}, or run the backend in a cluster` };
  }
  if (action && isKubeAction(action)) {
    const outcome = await executeKubeAction(kube, action, { dryRun: true, mayEvict });
    return outcome.ok
      ? { ok: true, message: `Kubernetes at ${kube.server} accepts a server-side dry run: ${outcome.value.summary}` }
      : {
          ok: false,
          message: `Kubernetes at ${kube.server} refused the dry run: ${kubeReason(outcome.error).message}`,
        };
  }
  const listed = await call(kube, { verb: 'list', resource: 'pods', group: '' }, (o) =>
    kube.core.listPodForAllNamespaces({ limit: 1 }, o)
  );
  return listed.ok
    ? {
        ok: true,
        message: `Kubernetes at ${kube.server} answers and the service account can list pods; send an action to test a dry run of it`,
      }
    : { ok: false, message: listed.error.message };
}
