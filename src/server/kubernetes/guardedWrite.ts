import { fail, KubeError, KubeResult } from './errors';

/** Re-reads and retries this often when the object changes between our read and our write. */
const CONFLICT_ATTEMPTS = 3;

/**
 * A write guarded by the resourceVersion it was planned from. `plan` reads the object afresh and
 * checks it (its refusal is final); `write` sends the change with the resourceVersion that read saw.
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
