import type { KubeClient } from './client';
import type { KubeError } from './errors';
import { podsToEvict } from './drainPods';
import { label, saveProgress, startRun, undo, type DrainOutcome, type DrainParams, type DrainRun } from './drainRun';
import { dryRunEvictions, evictWithBackoff } from './eviction';
import { cordon } from './nodes';

/**
 * Cordons the node, naming this drain on it in the same PATCH; remembers (and saves) that this drain
 * cordoned it, so only its own cordon is undone. A node already cordoned is this drain's own when it
 * names this drain: a run before a crash cordoned it and stopped before it could save so.
 */
async function cordonStep(run: DrainRun): Promise<KubeError | { changed: boolean }> {
  const { node, owner } = run.params;
  const cordoned = await cordon(run.client, { node, dryRun: run.dryRun, owner });
  if (!cordoned.ok) {
    return cordoned.error;
  }
  const { changed, cordonedBy } = cordoned.value;
  const foundOwn = owner !== undefined && cordonedBy === owner && !run.progress.cordonedByDrain;
  if (changed || foundOwn) {
    run.progress.cordonedByDrain = true;
    await saveProgress(run);
  }
  return { changed };
}

/**
 * Drains a node the way careful controllers do (`kubectl drain --ignore-daemonsets`), in kubectl's
 * steps: cordon; the pods to evict (DaemonSet and mirror pods skipped with the reason, pods nothing
 * would recreate, a DaemonSet's gone included, or keeping emptyDir data refused unless told, and
 * looked for before the cordon too); evict through the Eviction API with back-off while a budget says 429, each grace period
 * capped; wait until each pod is gone; and on failure undo the cordon this drain made. A pause
 * (the engine's window closing) stops before an eviction and keeps the cordon and the progress, so
 * the next run resumes where this one stopped.
 */
export async function drain(client: KubeClient, params: DrainParams): Promise<DrainOutcome> {
  const run = startRun(client, params);
  // Looked at before the cordon, so a drain refused for what it would lose has touched nothing.
  const before = await podsToEvict(run);
  if ('error' in before) {
    return undo(run, before.error, before.left);
  }
  const cordoned = await cordonStep(run);
  if ('kind' in cordoned) {
    return undo(run, cordoned, []);
  }
  // Once cordoned, listed again (kubectl's order): a pod bound meanwhile is drained, or refuses the drain.
  // A dry run's cordon changed nothing, so its first look stands.
  const pods = run.dryRun ? before : await podsToEvict(run);
  if ('error' in pods) {
    return undo(run, pods.error, pods.left);
  }
  run.report.skipped = pods.skipped;
  if (run.dryRun) {
    return dryRunEvictions(run, pods.toEvict, cordoned.changed);
  }
  const end = await evictWithBackoff(run, pods.toEvict);
  const { report, progress } = run;
  if (end !== 'done') {
    if (end.pause) {
      report.evicted = [...progress.evicted];
      report.cordonedByDrain = progress.cordonedByDrain;
      report.summary = `${end.error.message}; ${report.evicted.length} pod(s) evicted so far, ${report.left.length} left, node ${params.node} stays cordoned`;
      return { ok: false, error: end.error, report };
    }
    return undo(run, end.error, report.left);
  }
  report.evicted = [...progress.evicted];
  report.cordonedByDrain = progress.cordonedByDrain;
  report.summary = `node ${params.node} drained: ${report.evicted.length} pod(s) evicted, ${report.skipped.length} skipped${
    report.skipped.length ? ` (${report.skipped.map((s) => `${label(s)}: ${s.reason}`).join(', ')})` : ''
  }`;
  return { ok: true, value: report };
}
