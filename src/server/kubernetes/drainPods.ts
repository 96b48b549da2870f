import type { V1Pod } from '@kubernetes/client-node';
import { isK8sName } from '../../contract/vocabulary';
import { call } from './client';
import type { KubeError, KubeRequest } from './errors';
import { label, refOf, type DrainParams, type DrainRun, type PodLeft, type SkippedPod } from './drainRun';

// Which of a node's pods a drain evicts, as `kubectl drain --ignore-daemonsets` decides
// (kubectl pkg/drain/filters.go).

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** The drain options that accept a loss, as kubectl drain's flags do: `--force`, `--delete-emptydir-data`. */
type LossAccepted = 'evictUnmanaged' | 'deleteEmptyDirData';

/** What evicting a pod would lose for good, and the option that accepts it. */
interface Loss {
  acceptedBy: LossAccepted;
  why: string;
}

/** The refusal's words per option: which pods, and what setting the option does to them. */
const REFUSED: Record<LossAccepted, { pods: string; consequence: string }> = {
  evictUnmanaged: { pods: 'pods no controller would recreate', consequence: 'to lose them' },
  deleteEmptyDirData: { pods: 'pods keeping data in emptyDir volumes', consequence: 'to delete that data' },
};

/** What evicting a running pod loses: the pod itself when nothing recreates it, its emptyDir volumes' data. */
function lossesOf(pod: V1Pod, managed: boolean): Loss[] {
  const losses: Loss[] = [];
  if (!managed) {
    losses.push({
      acceptedBy: 'evictUnmanaged',
      why: 'not managed by a controller: once evicted nothing recreates it',
    });
  }
  // Any emptyDir, in memory or on disk, lives and dies with the pod (kubectl's hasLocalStorage);
  // other volumes (hostPath, persistent claims) outlive it.
  const emptyDirs = (pod.spec?.volumes ?? []).filter((v) => v.emptyDir !== undefined).map((v) => v.name);
  if (emptyDirs.length > 0) {
    losses.push({
      acceptedBy: 'deleteEmptyDirData',
      why: `keeps data in emptyDir volume(s) ${emptyDirs.join(', ')}, deleted with the pod`,
    });
  }
  return losses;
}

/** What a drain does with a pod: skip it (and why), or evict it, losing what the losses say. */
function classify(pod: V1Pod): SkippedPod | Loss[] {
  const { namespace, name } = refOf(pod);
  if (pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined) {
    return {
      namespace,
      name,
      reason: 'mirror',
      why: 'mirror of a static pod: the kubelet runs it from a file, the API cannot evict it',
    };
  }
  // A finished pod runs nothing a drain could lose: kubectl drain removes it whoever owns it and
  // whatever its volumes (filters.go: "any finished pod can be removed"), and the Eviction API
  // deletes it without asking its budget (eviction.go, canIgnorePDB).
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    return [];
  }
  const controller = pod.metadata?.ownerReferences?.find((o) => o.controller);
  if (controller?.kind === 'DaemonSet') {
    return {
      namespace,
      name,
      reason: 'daemonset',
      why: `managed by DaemonSet ${controller.name}, which runs it on every node regardless of the cordon`,
    };
  }
  return lossesOf(pod, controller !== undefined);
}

/** What the drain may evict: the namespaces it may touch, and the losses it accepts. */
export type DrainLicence = Pick<DrainParams, 'mayEvict' | LossAccepted>;

/** A pod the drain refuses to evict: evicting it would lose what the losses say, and no option accepts them. */
interface Refused {
  pod: V1Pod;
  losses: Loss[];
}

/**
 * `classify`, then the namespace (a pod in a namespace the drain may not touch is skipped: it
 * loses nothing), then the losses the licence does not accept: any of them refuses the pod.
 */
export function planPod(pod: V1Pod, licence: DrainLicence): SkippedPod | 'evict' | Refused {
  const verdict = classify(pod);
  if (!Array.isArray(verdict)) {
    return verdict;
  }
  const { namespace, name } = refOf(pod);
  const outOfBounds = licence.mayEvict?.(namespace);
  if (outOfBounds) {
    return { namespace, name, reason: 'namespace', ...outOfBounds };
  }
  const losses = verdict.filter((loss) => licence[loss.acceptedBy] !== true);
  return losses.length > 0 ? { pod, losses } : 'evict';
}

/** Why the drain refuses: per option it was not given, the pods that option would let it evict. */
function refusal(node: string, refused: Refused[]): KubeError {
  const phrases = (Object.keys(REFUSED) as LossAccepted[]).flatMap((option) => {
    const pods = refused.filter((r) => r.losses.some((l) => l.acceptedBy === option));
    const { pods: which, consequence } = REFUSED[option];
    return pods.length
      ? [`${which} (${pods.map((r) => label(refOf(r.pod))).join(', ')}); drain them with ${option} ${consequence}`]
      : [];
  });
  return { kind: 'unsafe', message: `node ${node} runs ${phrases.join('; it also runs ')}` };
}

/** The node's pods, sorted into those to evict and those skipped; a pod the drain refuses refuses the drain. */
export async function podsToEvict(
  run: DrainRun
): Promise<{ toEvict: V1Pod[]; skipped: SkippedPod[] } | { error: KubeError; left: PodLeft[] }> {
  const { client, params } = run;
  const { node } = params;
  const request: KubeRequest = { verb: 'list', resource: 'pods', group: '' };
  // The node goes in a field selector, which `call` does not look at; nothing misnamed is sent.
  if (!isK8sName(node)) {
    return {
      error: {
        kind: 'bad-request',
        message: `list pods: node ${JSON.stringify(node)} is not a Kubernetes name, so nothing was sent`,
        request,
      },
      left: [],
    };
  }
  const listed = await call(client, request, (options) =>
    client.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` }, options)
  );
  if (!listed.ok) {
    return { error: listed.error, left: [] };
  }
  const toEvict: V1Pod[] = [];
  const skipped: SkippedPod[] = [];
  const refused: Refused[] = [];
  for (const pod of listed.value.items) {
    const plan = planPod(pod, params);
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
      error: refusal(node, refused),
      left: refused.map((r) => ({ ...refOf(r.pod), why: r.losses.map((l) => l.why).join('; ') })),
    };
  }
  return { toEvict, skipped };
}
