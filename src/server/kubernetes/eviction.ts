import { call, dryRunParam } from './client';
import type { KubeError } from './errors';
import {
  kept,
  label,
  refOf,
  undo,
  saveProgress,
  type DrainOutcome,
  type DrainRun,
  type ListedPod,
  type Pending,
  type PodLeft,
  type PodRef,
} from './drainRun';
import { podRequest } from './pods';

// Evicting a drain's pods: through the Eviction API, backing off while a PodDisruptionBudget says
// 429, each pod waited for until it is gone; or, in a dry run, each eviction asked once. A pod that
// left the node meanwhile (deleted, or recreated under its name) counts as gone, never as an error.

/** The reason the budget gave in the 429's causes, e.g. "The disruption budget web needs 2 healthy pods and has 2 currently". */
function blockedBecause(error: KubeError): string {
  return `blocked by a PodDisruptionBudget: ${error.causes?.join('; ') ?? error.message}`;
}

/** One eviction through the Eviction API, so PodDisruptionBudgets hold. */
function evictPod(run: DrainRun, pod: ListedPod) {
  const { client, dryRun } = run;
  const ref = refOf(pod);
  const grace = Math.min(pod.spec?.terminationGracePeriodSeconds ?? 30, run.params.maxGracePeriodSeconds ?? 60);
  return call(client, podRequest('create', ref.namespace, ref.name, 'eviction'), (options) =>
    client.core.createNamespacedPodEviction(
      {
        name: ref.name,
        namespace: ref.namespace,
        dryRun: dryRunParam(dryRun),
        body: {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: ref.name, namespace: ref.namespace },
          // The UID precondition keeps a late retry from evicting a same-named replacement. The dry
          // run is in the delete options too, which the API server reads for the pod's deletion
          // (it copies the query's only into options that carry none).
          deleteOptions: {
            ...(dryRun ? { dryRun: ['All'] } : {}),
            gracePeriodSeconds: grace,
            preconditions: { uid: ref.uid },
          },
        },
      },
      options
    )
  );
}

/**
 * Where the pod the drain listed is now: 'gone' once its name answers 404, belongs to another UID
 * (deleted and recreated) or is on another node; 'there' while it is still on the node.
 */
async function whereIs(run: DrainRun, ref: PodRef): Promise<KubeError | 'gone' | 'there'> {
  const { client } = run;
  const read = await call(client, podRequest('get', ref.namespace, ref.name), (options) =>
    client.core.readNamespacedPod({ name: ref.name, namespace: ref.namespace }, options)
  );
  if (!read.ok) {
    return read.error.kind === 'not-found' ? 'gone' : read.error;
  }
  const pod = read.value;
  return pod.metadata?.uid !== ref.uid || pod.spec?.nodeName !== run.params.node ? 'gone' : 'there';
}

/**
 * What a refused eviction means for its pod: 'gone' (404), still there and why, to be asked again
 * (a budget's 429, its namespace being deleted), or an error the drain stops on. A 409 is either
 * the UID precondition (the name is another pod's now) or the budget's status update conflicting
 * through all of the server's retries (eviction.go, RetryOnConflict) with the pod still running:
 * only a read tells which.
 */
async function refusal(run: DrainRun, ref: PodRef, error: KubeError): Promise<KubeError | 'gone' | { why: string }> {
  if (error.kind === 'too-many-requests') {
    return { why: blockedBecause(error) };
  }
  if (error.kind === 'not-found') {
    return 'gone';
  }
  // No eviction is created in a namespace being deleted; the namespace controller deletes its pods,
  // so the pod is waited for as kubectl drain does (k8s.io/kubectl pkg/drain/drain.go, evictPods).
  if (error.namespaceTerminating) {
    return { why: `its namespace ${ref.namespace} is being deleted, which deletes it: waiting for it to go` };
  }
  if (error.kind !== 'conflict') {
    return error;
  }
  const seen = await whereIs(run, ref);
  return seen === 'there' ? { why: `its eviction conflicted, to be asked again: ${error.message}` } : seen;
}

/** The dry run: each eviction asked once with dryRun=All; what a budget blocks now is reported, not waited for. */
export async function dryRunEvictions(
  run: DrainRun,
  toEvict: ListedPod[],
  cordonChanged: boolean
): Promise<DrainOutcome> {
  const { report, params } = run;
  for (const pod of toEvict) {
    const evicted = await evictPod(run, pod);
    if (evicted.ok) {
      report.evicted.push(refOf(pod));
      continue;
    }
    const refused = await refusal(run, refOf(pod), evicted.error);
    if (refused !== 'gone' && 'why' in refused) {
      report.left.push({ ...refOf(pod), why: refused.why });
    } else if (refused !== 'gone') {
      return undo(run, refused, []);
    }
  }
  const blocked = report.left.length
    ? `; ${report.left.length} blocked right now (${report.left.map(label).join(', ')}), a real drain would wait for them`
    : '';
  report.cordonedByDrain = cordonChanged;
  report.summary = `drain of node ${params.node} would evict ${report.evicted.length} pod(s)${report.evicted.length ? ` (${report.evicted.map(label).join(', ')})` : ''}, skip ${report.skipped.length}${kept(report.skipped)}${blocked}`;
  return { ok: true, value: report };
}

/** Waits until the pod is gone (`whereIs`). */
async function waitGone(run: DrainRun, ref: PodRef): Promise<KubeError | 'gone' | 'deadline'> {
  const { client, deadline } = run;
  const pollMs = run.params.pollIntervalMs ?? 1000;
  for (;;) {
    const seen = await whereIs(run, ref);
    if (seen !== 'there') {
      return seen;
    }
    if (client.clock.now() + pollMs > deadline) {
      return 'deadline';
    }
    await client.clock.sleep(pollMs);
  }
}

type RoundEnd = 'done' | { error: KubeError; pause?: boolean };

/**
 * Evicts a pending pod. One turned away before is read first: deleted or recreated under its name
 * since, a budget covering the replacement would turn every eviction by name away until the deadline
 * (the UID precondition is only checked after the budget).
 */
async function evictPending(run: DrainRun, entry: Pending): Promise<KubeError | 'evicted' | 'gone' | { why: string }> {
  const ref = refOf(entry.pod);
  if (entry.turnedAway) {
    const seen = await whereIs(run, ref);
    if (seen !== 'there') {
      return seen;
    }
  }
  const evicted = await evictPod(run, entry.pod);
  if (evicted.ok) {
    return 'evicted';
  }
  entry.turnedAway = true;
  return refusal(run, ref, evicted.error);
}

/**
 * One pass over the pods still pending: before each eviction the stop and pause questions, then
 * the eviction (a refusal that leaves the pod in place leaves it for the next round), its progress
 * saved, and the wait until it is gone.
 */
async function evictionRound(run: DrainRun, pending: Map<string, Pending>): Promise<RoundEnd | 'again'> {
  const { node } = run.params;
  for (const [uid, entry] of pending) {
    const ref = refOf(entry.pod);
    if (!entry.evicted) {
      const stop = await run.params.shouldStop?.();
      if (stop) {
        return {
          error: { kind: 'stopped', message: `drain of node ${node} stopped before evicting ${label(ref)}: ${stop}` },
        };
      }
      const pause = await run.params.shouldPause?.();
      if (pause) {
        return {
          error: { kind: 'paused', message: `drain of node ${node} paused before evicting ${label(ref)}: ${pause}` },
          pause: true,
        };
      }
      const evicted = await evictPending(run, entry);
      if (evicted === 'gone') {
        pending.delete(uid);
        continue;
      }
      if (evicted !== 'evicted' && 'why' in evicted) {
        entry.why = evicted.why;
        continue;
      }
      if (evicted !== 'evicted') {
        return { error: evicted };
      }
      entry.evicted = true;
      if (!run.alreadyEvicted.has(uid)) {
        run.alreadyEvicted.add(uid);
        run.progress.evicted.push(ref);
      }
      await saveProgress(run);
    }
    const gone = await waitGone(run, ref);
    if (gone === 'deadline') {
      entry.why = 'evicted but still terminating';
      break;
    }
    if (gone !== 'gone') {
      return { error: gone };
    }
    pending.delete(uid);
  }
  return pending.size === 0 ? 'done' : 'again';
}

/** Evicts until every pod is gone, backing off between rounds while budgets say 429, until the deadline. */
export async function evictWithBackoff(run: DrainRun, toEvict: ListedPod[]): Promise<RoundEnd> {
  const { client, params } = run;
  const backoff = params.backoff ?? { initialMs: 1000, maxMs: 30_000 };
  // A pod an earlier run evicted, or that something else is already deleting, is only waited for.
  const pending = new Map<string, Pending>(
    toEvict.map((pod) => [
      refOf(pod).uid,
      {
        pod,
        evicted: run.alreadyEvicted.has(refOf(pod).uid) || pod.metadata?.deletionTimestamp !== undefined,
        turnedAway: false,
        why: 'not evicted yet',
      },
    ])
  );
  let wait = backoff.initialMs;
  for (;;) {
    const round = await evictionRound(run, pending);
    if (round !== 'again') {
      run.report.left = round === 'done' ? [] : leftOf(pending);
      return round;
    }
    if (client.clock.now() + wait > run.deadline) {
      const left = leftOf(pending);
      run.report.left = left;
      return {
        error: {
          kind: 'deadline-exceeded',
          message: `drain of node ${params.node} did not finish within ${params.timeoutSeconds ?? 300}s; pods left: ${left.map((p) => `${label(p)} (${p.why})`).join(', ')}`,
        },
      };
    }
    await client.clock.sleep(wait);
    wait = Math.min(wait * 2, backoff.maxMs);
  }
}

function leftOf(pending: Map<string, Pending>): PodLeft[] {
  return [...pending.values()].map(({ pod, why }) => ({ ...refOf(pod), why }));
}
