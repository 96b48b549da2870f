import type { V1Pod } from '@kubernetes/client-node';
import { call } from './client';
import type { KubeError } from './errors';
import { label, refOf, type DrainRun, type EvictionPolicy, type PodLeft, type SkippedPod } from './drainRun';

// Which of a node's pods a drain evicts, as `kubectl drain --ignore-daemonsets` decides.

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** What a drain does with a pod: skip it (and why), refuse it (nothing would recreate it), or evict it. */
function classify(pod: V1Pod): SkippedPod | 'unmanaged' | 'evict' {
  const { namespace, name } = refOf(pod);
  if (pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined) {
    return {
      namespace,
      name,
      reason: 'mirror',
      why: 'mirror of a static pod: the kubelet runs it from a file, the API cannot evict it',
    };
  }
  // A finished pod runs nothing a drain could lose: kubectl drain removes it whoever owns it
  // (kubectl pkg/drain/filters.go, daemonSetFilter and unreplicatedFilter: "any finished pod can be
  // removed"), and the Eviction API deletes it without asking its budget (eviction.go, canIgnorePDB).
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    return 'evict';
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
  return controller ? 'evict' : 'unmanaged';
}

/** `classify`, then the namespace: a pod the drain would evict, in a namespace it may not touch, is skipped. */
export function planPod(pod: V1Pod, mayEvict?: EvictionPolicy): SkippedPod | 'unmanaged' | 'evict' {
  const verdict = classify(pod);
  if (typeof verdict === 'object') {
    return verdict;
  }
  const { namespace, name } = refOf(pod);
  const refused = mayEvict?.(namespace);
  return refused ? { namespace, name, reason: 'namespace', ...refused } : verdict;
}

/** The node's pods, sorted into those to evict and those skipped; pods nothing would recreate refuse the drain. */
export async function podsToEvict(
  run: DrainRun
): Promise<{ toEvict: V1Pod[] } | { error: KubeError; left: PodLeft[] }> {
  const { client, params, report } = run;
  const { node } = params;
  const listed = await call(client, { verb: 'list', resource: 'pods', group: '' }, (options) =>
    client.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` }, options)
  );
  if (!listed.ok) {
    return { error: listed.error, left: [] };
  }
  const toEvict: V1Pod[] = [];
  const unmanaged: PodLeft[] = [];
  for (const pod of listed.value.items) {
    const verdict = planPod(pod, params.mayEvict);
    if (verdict === 'evict' || (verdict === 'unmanaged' && params.evictUnmanaged)) {
      toEvict.push(pod);
    } else if (verdict === 'unmanaged') {
      unmanaged.push({ ...refOf(pod), why: 'not managed by a controller: once evicted nothing recreates it' });
    } else {
      report.skipped.push(verdict);
    }
  }
  if (unmanaged.length > 0) {
    return {
      error: {
        kind: 'unsafe',
        message: `node ${node} runs pods no controller would recreate (${unmanaged.map(label).join(', ')}); drain them with evictUnmanaged to lose them`,
      },
      left: unmanaged,
    };
  }
  return { toEvict };
}
