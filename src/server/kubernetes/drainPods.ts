import type { V1OwnerReference, V1Pod } from '@kubernetes/client-node';
import { isK8sName } from '../../contract/vocabulary';
import { call, type KubeClient } from './client';
import { fail, ok, type KubeError, type KubeRequest, type KubeResult } from './errors';
import {
  identified,
  label,
  refOf,
  type DrainParams,
  type DrainRun,
  type ListedPod,
  type PodLeft,
  type SkippedPod,
} from './drainRun';
import { orphanedPods, type OrphanedPods } from './orphans';

// Which of a node's pods a drain evicts, as `kubectl drain --ignore-daemonsets` decides
// (kubectl pkg/drain/filters.go).

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** The drain options that accept a loss, as kubectl drain's flags do: `--force`, `--delete-emptydir-data`. */
type LossAccepted = 'evictUnmanaged' | 'deleteEmptyDirData';

/** What evicting a running pod loses for good: the pod (nothing recreates it), or its emptyDir data. */
type LossKind = 'unmanaged' | 'orphaned' | 'emptyDir';

interface Loss {
  kind: LossKind;
  why: string;
  /** An orphan's DaemonSet, named beside the pod in the refusal. */
  daemonSet?: string;
}

/** Per kind of loss: the option that accepts it, and the refusal's words (which pods, what the option does to them). */
const LOSSES: Record<LossKind, { acceptedBy: LossAccepted; pods: string; consequence: string }> = {
  unmanaged: { acceptedBy: 'evictUnmanaged', pods: 'pods no controller would recreate', consequence: 'to lose them' },
  orphaned: { acceptedBy: 'evictUnmanaged', pods: 'pods of DaemonSets that are gone', consequence: 'to lose them' },
  emptyDir: {
    acceptedBy: 'deleteEmptyDirData',
    pods: 'pods keeping data in emptyDir volumes',
    consequence: 'to delete that data',
  },
};

/** What evicting a running pod loses: the pod itself when nothing recreates it (`lost`), its emptyDir volumes' data. */
function lossesOf(pod: V1Pod, lost: Loss | undefined): Loss[] {
  const losses: Loss[] = lost ? [lost] : [];
  // Any emptyDir, in memory or on disk, lives and dies with the pod (kubectl's hasLocalStorage);
  // other volumes (hostPath, persistent claims) outlive it.
  const emptyDirs = (pod.spec?.volumes ?? []).filter((v) => v.emptyDir !== undefined).map((v) => v.name);
  if (emptyDirs.length > 0) {
    losses.push({
      kind: 'emptyDir',
      why: `keeps data in emptyDir volume(s) ${emptyDirs.join(', ')}, deleted with the pod`,
    });
  }
  return losses;
}

const isMirror = (pod: V1Pod) => pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined;
const controllerOf = (pod: V1Pod) => pod.metadata?.ownerReferences?.find((o) => o.controller);

// A finished pod runs nothing a drain could lose: kubectl drain removes it whoever owns it and
// whatever its volumes (filters.go: "any finished pod can be removed"), and the Eviction API
// deletes it without asking its budget (eviction.go, canIgnorePDB).
const isFinished = (pod: V1Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** The DaemonSet a running pod names as its controller; mirror pods are the kubelet's, whatever they name. */
function daemonSetOf(pod: V1Pod): V1OwnerReference | undefined {
  const controller = controllerOf(pod);
  return !isMirror(pod) && !isFinished(pod) && controller?.kind === 'DaemonSet' ? controller : undefined;
}

/** What a drain does with a pod: skip it (and why), or evict it, losing what the losses say. */
function classify(pod: ListedPod, orphaned: OrphanedPods): SkippedPod | Loss[] {
  const { namespace, name } = refOf(pod);
  if (isMirror(pod)) {
    return {
      namespace,
      name,
      reason: 'mirror',
      why: 'mirror of a static pod: the kubelet runs it from a file, the API cannot evict it',
    };
  }
  if (isFinished(pod)) {
    return [];
  }
  const controller = controllerOf(pod);
  if (controller?.kind === 'DaemonSet') {
    const gone = orphaned.get(pod.metadata.uid);
    return gone === undefined
      ? {
          namespace,
          name,
          reason: 'daemonset',
          why: `managed by DaemonSet ${controller.name}, which runs it on every node regardless of the cordon`,
        }
      : lossesOf(pod, { kind: 'orphaned', why: gone, daemonSet: controller.name });
  }
  return lossesOf(
    pod,
    controller
      ? undefined
      : { kind: 'unmanaged', why: 'not managed by a controller: once evicted nothing recreates it' }
  );
}

/** What the drain may evict: the namespaces it may touch, and the losses it accepts. */
export type DrainLicence = Pick<DrainParams, 'mayEvict' | LossAccepted>;

/** A pod the drain refuses to evict: evicting it would lose what the losses say, and no option accepts them. */
interface Refused {
  pod: ListedPod;
  losses: Loss[];
}

/**
 * `classify`, then the namespace (a pod in a namespace the drain may not touch is skipped: it
 * loses nothing), then the losses the licence does not accept: any of them refuses the pod.
 */
export function planPod(pod: ListedPod, licence: DrainLicence, orphaned: OrphanedPods): SkippedPod | 'evict' | Refused {
  const verdict = classify(pod, orphaned);
  if (!Array.isArray(verdict)) {
    return verdict;
  }
  const { namespace, name } = refOf(pod);
  const outOfBounds = licence.mayEvict?.(namespace);
  if (outOfBounds) {
    return { namespace, name, reason: 'namespace', ...outOfBounds };
  }
  const losses = verdict.filter((loss) => licence[LOSSES[loss.kind].acceptedBy] !== true);
  return losses.length > 0 ? { pod, losses } : 'evict';
}

/** Why the drain refuses: per kind of loss no option accepted, the pods that would suffer it. */
function refusal(node: string, refused: Refused[]): KubeError {
  const phrases = (Object.keys(LOSSES) as LossKind[]).flatMap((kind) => {
    const pods = refused.flatMap((r) =>
      r.losses
        .filter((l) => l.kind === kind)
        .map((l) => `${label(r.pod.metadata)}${l.daemonSet ? ` of DaemonSet ${l.daemonSet}` : ''}`)
    );
    const { pods: which, acceptedBy, consequence } = LOSSES[kind];
    return pods.length ? [`${which} (${pods.join(', ')}); drain them with ${acceptedBy} ${consequence}`] : [];
  });
  return { kind: 'unsafe', message: `node ${node} runs ${phrases.join('; it also runs ')}` };
}

/**
 * The pods bound to the node, each as a real API server lists it (`identified`): one without a uid
 * could be neither pinned nor told from its replacement, so the answer is refused, nothing evicted.
 */
export async function podsOnNode(client: KubeClient, node: string): Promise<KubeResult<ListedPod[]>> {
  const request: KubeRequest = { verb: 'list', resource: 'pods', group: '' };
  // The node goes in a field selector, which `call` does not look at; nothing misnamed is sent.
  if (!isK8sName(node)) {
    return fail({
      kind: 'bad-request',
      message: `list pods: node ${JSON.stringify(node)} is not a Kubernetes name, so nothing was sent`,
      request,
    });
  }
  const listed = await call(client, request, (options) =>
    client.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` }, options)
  );
  if (!listed.ok) {
    return listed;
  }
  const unidentified = listed.value.items.filter((pod) => !identified(pod));
  if (unidentified.length > 0) {
    const missing = (pod: V1Pod) =>
      (['namespace', 'name', 'uid'] as const).filter((field) => !pod.metadata?.[field]).join(', ');
    return fail({
      kind: 'unexpected',
      request,
      message: `Kubernetes listed pods on node ${node} without what a real API server gives every pod (${unidentified.map((p) => `${p.metadata?.namespace ?? '?'}/${p.metadata?.name ?? '?'}: no ${missing(p)}`).join('; ')}): a drain evicts a pod only by its uid, so nothing was evicted`,
    });
  }
  return ok(listed.value.items.filter(identified));
}

/**
 * The pods whose DaemonSet is gone, among those the licence lets the drain touch: a pod in a
 * namespace it leaves alone is skipped whatever its controller, so its DaemonSet is not asked after.
 */
export function orphansAmong(
  client: KubeClient,
  pods: ListedPod[],
  licence: DrainLicence
): Promise<KubeResult<OrphanedPods>> {
  return orphanedPods(
    client,
    pods.flatMap((pod) => {
      const daemonSet = daemonSetOf(pod);
      return daemonSet && !licence.mayEvict?.(pod.metadata.namespace) ? [{ pod, daemonSet }] : [];
    })
  );
}

/** The node's pods, sorted into those to evict and those skipped; a pod the drain refuses refuses the drain. */
export async function podsToEvict(
  run: DrainRun
): Promise<{ toEvict: ListedPod[]; skipped: SkippedPod[] } | { error: KubeError; left: PodLeft[] }> {
  const { client, params } = run;
  const listed = await podsOnNode(client, params.node);
  if (!listed.ok) {
    return { error: listed.error, left: [] };
  }
  const orphaned = await orphansAmong(client, listed.value, params);
  if (!orphaned.ok) {
    return { error: orphaned.error, left: [] };
  }
  const toEvict: ListedPod[] = [];
  const skipped: SkippedPod[] = [];
  const refused: Refused[] = [];
  for (const pod of listed.value) {
    const plan = planPod(pod, params, orphaned.value);
    if (plan === 'evict') {
      toEvict.push(pod);
    } else if ('losses' in plan) {
      refused.push(plan);
    } else {
      skipped.push(plan);
    }
  }
  if (refused.length > 0) {
    return {
      error: refusal(params.node, refused),
      left: refused.map((r) => ({ ...refOf(r.pod), why: r.losses.map((l) => l.why).join('; ') })),
    };
  }
  return { toEvict, skipped };
}
