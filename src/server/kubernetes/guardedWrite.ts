import { fail, KubeError, KubeRequest, KubeResult, ok } from './errors';

/** Re-reads and retries this often when the object changes between our read and our write. */
const CONFLICT_ATTEMPTS = 3;

/**
 * A write guarded by the resourceVersion it was planned from. `plan` reads the object afresh and
 * checks it (its refusal is final); `write` sends the change with the resourceVersion that read saw
 * (guardOf: a read without one is refused, never sent unguarded).
 * kube-apiserver refuses a write whose metadata.resourceVersion is not the stored one with 409
 * Conflict, dry run or not (registry/generic/registry/store.go, Store.Update: OptimisticLockErrorMsg),
 * so a change made by someone else in between is never overwritten nor missed: we plan again from a
 * fresh read, CONFLICT_ATTEMPTS times at most, then give up saying so. `what` names the object.
 */
export async function guardedWrite<P, T>(
  what: string,
  doing: string,
  plan: () => Promise<KubeResult<P>>,
  write: (planned: P) => Promise<KubeResult<T>>
): Promise<KubeResult<T>> {
  let conflict: KubeError | undefined;
  for (let attempt = 1; attempt <= CONFLICT_ATTEMPTS; attempt++) {
    const planned = await plan();
    if (!planned.ok) {
      return planned;
    }
    const written = await write(planned.value);
    if (written.ok || written.error.kind !== 'conflict') {
      return written;
    }
    conflict = written.error;
  }
  return fail({
    ...conflict!,
    message: `${what} kept changing while we ${doing} it (${CONFLICT_ATTEMPTS} conflicts in a row); try again`,
  });
}

/**
 * The resourceVersion a write is guarded by, from the read it was planned from (`what` names the
 * object, `request` the write). A real API server gives every object one; an answer without one
 * (or with "") is refused rather than sent unguarded: a PATCH whose metadata.resourceVersion is
 * absent keeps the stored one, and "" parses as 0, which the store takes as no precondition and
 * updates unconditionally (apiserver registry/generic/registry/store.go, Store.Update:
 * `doUnconditionalUpdate := newResourceVersion == 0 && e.UpdateStrategy.AllowUnconditionalUpdate()`,
 * true for Deployments, StatefulSets, DaemonSets and Nodes), so a change made meanwhile would be overwritten.
 */
export function guardOf(
  what: string,
  doing: string,
  request: KubeRequest,
  resourceVersion: string | undefined
): KubeResult<string> {
  return resourceVersion
    ? ok(resourceVersion)
    : fail({
        kind: 'unexpected',
        request,
        message: `Kubernetes answered ${what} without a resourceVersion, which a real API server always gives: the change could not be guarded against one made meanwhile, so ${what} was not ${doing}`,
      });
}
