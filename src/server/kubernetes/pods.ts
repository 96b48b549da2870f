import type { DeletePodResult } from '../../contract/healing';
import { V1DeleteOptions, V1Pod } from '@kubernetes/client-node';
import { call, KubeClient } from './client';
import { fail, KubeRequest, KubeResult, ok } from './errors';

export interface DeletePodParams {
  namespace: string;
  name: string;
  /** Overrides the pod's own terminationGracePeriodSeconds. */
  gracePeriodSeconds?: number;
  /**
   * Delete only the pod with this UID. A controller replaces a deleted pod, sometimes under the same
   * name; the precondition keeps a late or repeated delete from killing the healthy replacement.
   */
  expectUid?: string;
  dryRun?: boolean;
}

export const podRequest = (
  verb: KubeRequest['verb'],
  namespace: string,
  name?: string,
  subresource?: string
): KubeRequest => ({
  verb,
  resource: subresource ? `pods/${subresource}` : 'pods',
  group: '',
  namespace,
  name,
});

export function ownerOf(pod: V1Pod): string | undefined {
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  return owner ? `${owner.kind} ${owner.name}` : undefined;
}

export async function deletePod(client: KubeClient, params: DeletePodParams): Promise<KubeResult<DeletePodResult>> {
  const { namespace, name, expectUid } = params;
  const dryRun = params.dryRun === true;
  // Every option goes in the DeleteOptions body: kube-apiserver reads a DELETE's options from its
  // body when it has one and then ignores the query string, dryRun included.
  const body: V1DeleteOptions = {
    ...(dryRun ? { dryRun: ['All'] } : {}),
    ...(params.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: params.gracePeriodSeconds } : {}),
    ...(expectUid ? { preconditions: { uid: expectUid } } : {}),
  };
  const deleted = await call(client, podRequest('delete', namespace, name), (options) =>
    client.core.deleteNamespacedPod({ name, namespace, body }, options)
  );
  if (!deleted.ok) {
    const { kind } = deleted.error;
    if (expectUid && (kind === 'conflict' || kind === 'not-found')) {
      return fail({
        ...deleted.error,
        kind: 'changed',
        message:
          kind === 'conflict'
            ? `pod ${namespace}/${name} is no longer the pod we meant (uid ${expectUid}): it was replaced, so it was not deleted`
            : `pod ${namespace}/${name} (uid ${expectUid}) is gone already: nothing was deleted`,
      });
    }
    return deleted;
  }
  const pod = deleted.value;
  // The dry run's uid pins the real delete to this pod (pinAction); a real API server always answers
  // with it, and without it the delete would go out unpinned and could kill a replacement.
  if (dryRun && !expectUid && !pod.metadata?.uid) {
    return fail({
      kind: 'unexpected',
      request: podRequest('delete', namespace, name),
      message: `Kubernetes answered the dry run of deleting pod ${namespace}/${name} without the pod's uid, which a real API server always gives: the delete could not be pinned to this pod, so the dry run refuses it`,
    });
  }
  const owner = ownerOf(pod);
  const grace = params.gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds;
  const graceText = grace !== undefined ? ` (grace ${grace}s)` : '';
  const replaced = dryRun
    ? owner
      ? `; ${owner} would replace it`
      : '; nothing would replace it'
    : owner
      ? `; ${owner} replaces it`
      : '; nothing replaces it';
  return ok({
    action: 'delete-pod',
    namespace,
    name,
    uid: pod.metadata?.uid,
    nodeName: pod.spec?.nodeName,
    owner,
    gracePeriodSeconds: grace,
    dryRun,
    summary: dryRun
      ? `would delete pod ${namespace}/${name}${graceText}${replaced}`
      : `pod ${namespace}/${name} deleted${graceText}${replaced}`,
  });
}

export type { DeletePodResult };
