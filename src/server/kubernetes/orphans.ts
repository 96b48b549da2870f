import type { V1OwnerReference } from '@kubernetes/client-node';
import { call, type KubeClient } from './client';
import { fail, ok, type KubeRequest, type KubeResult } from './errors';
import { label, type ListedPod } from './drainRun';

// Whether the DaemonSet a pod names as its controller still exists, as `kubectl drain` asks before it
// skips the pod (kubectl pkg/drain/filters.go, daemonSetFilter): a GET of the DaemonSet by name. Gone
// (404), nothing runs the pod any more and nothing recreates it once evicted, so it is no DaemonSet pod
// to skip but one to refuse unless told (kubectl: --force); any other answer refuses the drain, as
// kubectl's does whatever its flags. A DaemonSet of that name with another uid is gone all the same:
// the garbage collector follows an owner reference by uid and deletes the pods of a deleted owner
// (garbagecollector.go, isDangling), and the new DaemonSet does not adopt a pod that has a controller.

/** A DaemonSet pod the drain would skip, and the controller reference it names. */
export interface DaemonSetPod {
  pod: ListedPod;
  daemonSet: V1OwnerReference;
}

/** Per pod uid, why its DaemonSet is gone. */
export type OrphanedPods = ReadonlyMap<string, string>;

const daemonSetRequest = (namespace: string, name: string): KubeRequest => ({
  verb: 'get',
  resource: 'daemonsets',
  group: 'apps',
  namespace,
  name,
});

/** The pods whose DaemonSet is gone, each DaemonSet read once; a read that fails for another reason fails it all. */
export async function orphanedPods(client: KubeClient, pods: DaemonSetPod[]): Promise<KubeResult<OrphanedPods>> {
  const byDaemonSet = new Map<string, DaemonSetPod[]>();
  for (const entry of pods) {
    const key = `${entry.pod.metadata.namespace}/${entry.daemonSet.name}`;
    byDaemonSet.set(key, [...(byDaemonSet.get(key) ?? []), entry]);
  }
  const orphaned = new Map<string, string>();
  for (const [key, entries] of byDaemonSet) {
    const { namespace } = entries[0].pod.metadata;
    const { name } = entries[0].daemonSet;
    const read = await call(client, daemonSetRequest(namespace, name), (options) =>
      client.apps.readNamespacedDaemonSet({ name, namespace }, options)
    );
    if (!read.ok && read.error.kind !== 'not-found') {
      return fail({
        ...read.error,
        message: `could not tell whether DaemonSet ${key}, which runs ${entries.map((e) => label(e.pod.metadata)).join(', ')}, still exists: ${read.error.message}`,
      });
    }
    const found = read.ok ? read.value.metadata?.uid : undefined;
    if (read.ok && !found) {
      return fail({
        kind: 'unexpected',
        request: daemonSetRequest(namespace, name),
        message: `Kubernetes answered DaemonSet ${key} without a uid, which a real API server always gives: could not tell whether it still owns ${entries.map((e) => label(e.pod.metadata)).join(', ')}`,
      });
    }
    for (const { pod, daemonSet } of entries) {
      if (found === daemonSet.uid) {
        continue;
      }
      orphaned.set(
        pod.metadata.uid,
        found === undefined
          ? `its DaemonSet ${name} is gone: once evicted nothing recreates it`
          : `its DaemonSet ${name} (uid ${daemonSet.uid}) is gone; the DaemonSet of that name now (uid ${found}) does not own it: once evicted nothing recreates it`
      );
    }
  }
  return ok(orphaned);
}
