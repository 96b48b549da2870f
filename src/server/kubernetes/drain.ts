import { V1Pod } from '@kubernetes/client-node';
import { call, dryRunParam, KubeClient } from './client';
import { KubeError } from './errors';
import { cordon, uncordon } from './nodes';
import { podRequest } from './pods';

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

/** What a drain has done so far; the engine persists it and hands it back to resume. */
export interface DrainProgress {
  /** This drain cordoned the node (it was schedulable before), so a failure may uncordon it. */
  cordonedByDrain: boolean;
  /** Pods whose eviction the API server accepted. Identified by UID: a same-named replacement is another pod. */
  evicted: PodRef[];
}

export type SkipReason = 'daemonset' | 'mirror' | 'namespace';

/** Asked for the namespace of each pod a drain would evict: a reason leaves its pods where they are. */
export type EvictionPolicy = (namespace: string) => string | undefined;

export interface SkippedPod {
  namespace: string;
  name: string;
  reason: SkipReason;
  why: string;
}

export interface PodLeft extends PodRef {
  /** Why it is still there, e.g. the PodDisruptionBudget's words. */
  why: string;
}

export interface DrainParams {
  node: string;
  dryRun?: boolean;
  /** Progress persisted by an earlier, interrupted run: its pods are waited for, never evicted again. */
  resume?: DrainProgress;
  /** Called after the cordon and after each accepted eviction; awaited, so the engine can persist it first. */
  onProgress?: (progress: DrainProgress) => void | Promise<void>;
  /** Asked before each eviction; a reason stops the drain there (the engine's kill switch). */
  shouldStop?: () => string | undefined;
  /**
   * Asked before each eviction, after `shouldStop`; a reason pauses the drain there (the engine's
   * window closed): the node stays cordoned and the progress saved, to resume later.
   */
  shouldPause?: () => string | undefined;
  /**
   * Namespaces whose pods the drain must not evict (the engine's namespace deny-list, allow-list
   * and hourly limit per namespace): their pods are skipped and reported, never evicted.
   */
  mayEvict?: EvictionPolicy;
  /** The whole drain, PodDisruptionBudget waits included, must finish within this. Default 300. */
  timeoutSeconds?: number;
  /** A pod's own grace period, capped at this. Default 60. */
  maxGracePeriodSeconds?: number;
  /** Evict pods no controller would recreate (`kubectl drain --force`). Default false: refuse. */
  evictUnmanaged?: boolean;
  /** Uncordon the node if the drain fails and this drain cordoned it. Default true. */
  uncordonOnFailure?: boolean;
  /** Backoff between rounds of evictions a PodDisruptionBudget turned away. */
  backoff?: { initialMs: number; maxMs: number };
  /** How often to look whether an evicted pod is gone. Default 1000. */
  pollIntervalMs?: number;
}

export interface DrainReport {
  action: 'drain';
  node: string;
  dryRun: boolean;
  /** Pods evicted, by this run or the ones it resumed; in a dry run, the pods that would be. */
  evicted: PodRef[];
  skipped: SkippedPod[];
  /** Pods still on the node when the drain stopped; in a dry run, those a budget blocks right now. */
  left: PodLeft[];
  cordonedByDrain: boolean;
  /** The node was uncordoned after a failure. */
  uncordoned: boolean;
  summary: string;
}

export type DrainOutcome = { ok: true; value: DrainReport } | { ok: false; error: KubeError; report: DrainReport };

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

const refOf = (pod: V1Pod): PodRef => ({
  namespace: pod.metadata?.namespace ?? '',
  name: pod.metadata?.name ?? '',
  uid: pod.metadata?.uid ?? '',
});

const label = (pod: { namespace: string; name: string }) => `${pod.namespace}/${pod.name}`;

/** What a drain does with a pod: skip it (and why), refuse it (nothing would recreate it), or evict it. */
export function classify(pod: V1Pod): SkippedPod | 'unmanaged' | 'evict' {
  const { namespace, name } = refOf(pod);
  if (pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined) {
    return {
      namespace,
      name,
      reason: 'mirror',
      why: 'mirror of a static pod: the kubelet runs it from a file, the API cannot evict it',
    };
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
  return refused ? { namespace, name, reason: 'namespace', why: refused } : verdict;
}

/** The reason the budget gave in the 429's causes, e.g. "The disruption budget web needs 2 healthy pods and has 2 currently". */
function blockedBecause(error: KubeError): string {
  return `blocked by a PodDisruptionBudget: ${error.causes?.join('; ') ?? error.message}`;
}

/** A drain as it goes: what it has done (persisted), what it reports, and where it saves progress. */
interface DrainRun {
  client: KubeClient;
  params: DrainParams;
  dryRun: boolean;
  deadline: number;
  progress: DrainProgress;
  /** UIDs an earlier run, or this one, evicted: never evicted again. */
  alreadyEvicted: Set<string>;
  report: DrainReport;
}

interface Pending {
  pod: V1Pod;
  evicted: boolean;
  why: string;
}

function startRun(client: KubeClient, params: DrainParams): DrainRun {
  const dryRun = params.dryRun === true;
  const progress: DrainProgress = {
    cordonedByDrain: params.resume?.cordonedByDrain ?? false,
    evicted: [...(params.resume?.evicted ?? [])],
  };
  return {
    client,
    params,
    dryRun,
    deadline: client.clock.now() + (params.timeoutSeconds ?? 300) * 1000,
    progress,
    alreadyEvicted: new Set(progress.evicted.map((p) => p.uid)),
    report: {
      action: 'drain',
      node: params.node,
      dryRun,
      evicted: [],
      skipped: [],
      left: [],
      cordonedByDrain: false,
      uncordoned: false,
      summary: '',
    },
  };
}

async function saveProgress(run: DrainRun): Promise<void> {
  if (!run.dryRun) {
    await run.params.onProgress?.({
      cordonedByDrain: run.progress.cordonedByDrain,
      evicted: [...run.progress.evicted],
    });
  }
}

/** The drain failed: report what is left and undo the cordon this drain made (unless told not to). */
async function undo(run: DrainRun, error: KubeError, left: PodLeft[]): Promise<DrainOutcome> {
  const { client, params, dryRun, progress, report } = run;
  const { node } = params;
  report.left = left;
  report.evicted = dryRun ? report.evicted : [...progress.evicted];
  report.cordonedByDrain = progress.cordonedByDrain;
  let message = error.message;
  if (!dryRun && progress.cordonedByDrain && params.uncordonOnFailure !== false) {
    const undone = await uncordon(client, { node });
    report.uncordoned = undone.ok;
    message += undone.ok ? `; node ${node} uncordoned` : `; node ${node} is still cordoned: ${undone.error.message}`;
  }
  report.summary = `drain of node ${node} failed after ${report.evicted.length} eviction(s): ${message}`;
  return { ok: false, error: { ...error, message }, report };
}

/** Cordons the node; remembers (and saves) that this drain did, so only this drain's cordon is undone. */
async function cordonStep(run: DrainRun): Promise<KubeError | { changed: boolean }> {
  const cordoned = await cordon(run.client, { node: run.params.node, dryRun: run.dryRun });
  if (!cordoned.ok) {
    return cordoned.error;
  }
  if (cordoned.value.changed) {
    run.progress.cordonedByDrain = true;
    await saveProgress(run);
  }
  return { changed: cordoned.value.changed };
}

/** The node's pods, sorted into those to evict and those skipped; pods nothing would recreate refuse the drain. */
async function podsToEvict(run: DrainRun): Promise<{ toEvict: V1Pod[] } | { error: KubeError; left: PodLeft[] }> {
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

/** One eviction through the Eviction API, so PodDisruptionBudgets hold. */
function evictPod(run: DrainRun, pod: V1Pod) {
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

/** The dry run: each eviction asked once with dryRun=All; what a budget blocks now is reported, not waited for. */
async function dryRunEvictions(run: DrainRun, toEvict: V1Pod[], cordonChanged: boolean): Promise<DrainOutcome> {
  const { report, params } = run;
  for (const pod of toEvict) {
    const evicted = await evictPod(run, pod);
    if (evicted.ok) {
      report.evicted.push(refOf(pod));
    } else if (evicted.error.kind === 'too-many-requests') {
      report.left.push({ ...refOf(pod), why: blockedBecause(evicted.error) });
    } else {
      return undo(run, evicted.error, []);
    }
  }
  const blocked = report.left.length
    ? `; ${report.left.length} blocked right now (${report.left.map(label).join(', ')}), a real drain would wait for them`
    : '';
  report.cordonedByDrain = cordonChanged;
  report.summary = `drain of node ${params.node} would evict ${report.evicted.length} pod(s)${report.evicted.length ? ` (${report.evicted.map(label).join(', ')})` : ''}, skip ${report.skipped.length}${kept(report.skipped)}${blocked}`;
  return { ok: true, value: report };
}

/** Waits until the pod is gone: 404, or its name now belongs to another UID. */
async function waitGone(run: DrainRun, ref: PodRef): Promise<KubeError | 'gone' | 'deadline'> {
  const { client, deadline } = run;
  const pollMs = run.params.pollIntervalMs ?? 1000;
  for (;;) {
    const read = await call(client, podRequest('get', ref.namespace, ref.name), (options) =>
      client.core.readNamespacedPod({ name: ref.name, namespace: ref.namespace }, options)
    );
    if (!read.ok) {
      return read.error.kind === 'not-found' ? 'gone' : read.error;
    }
    if (read.value.metadata?.uid !== ref.uid) {
      return 'gone';
    }
    if (client.clock.now() + pollMs > deadline) {
      return 'deadline';
    }
    await client.clock.sleep(pollMs);
  }
}

type RoundEnd = 'done' | { error: KubeError; pause?: boolean };

/**
 * One pass over the pods still pending: before each eviction the stop and pause questions, then
 * the eviction (a budget's 429 leaves the pod for the next round), its progress saved, and the wait
 * until it is gone.
 */
async function evictionRound(run: DrainRun, pending: Map<string, Pending>): Promise<RoundEnd | 'again'> {
  const { node } = run.params;
  for (const [uid, entry] of pending) {
    const ref = refOf(entry.pod);
    if (!entry.evicted) {
      const stop = run.params.shouldStop?.();
      if (stop) {
        return {
          error: { kind: 'stopped', message: `drain of node ${node} stopped before evicting ${label(ref)}: ${stop}` },
        };
      }
      const pause = run.params.shouldPause?.();
      if (pause) {
        return {
          error: { kind: 'paused', message: `drain of node ${node} paused before evicting ${label(ref)}: ${pause}` },
          pause: true,
        };
      }
      const evicted = await evictPod(run, entry.pod);
      if (!evicted.ok) {
        const { kind } = evicted.error;
        if (kind === 'too-many-requests') {
          entry.why = blockedBecause(evicted.error);
          continue;
        }
        // Gone already (404), or replaced under the same name (uid precondition, 409).
        if (kind === 'not-found' || kind === 'conflict') {
          pending.delete(uid);
          continue;
        }
        return { error: evicted.error };
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
async function evictWithBackoff(run: DrainRun, toEvict: V1Pod[]): Promise<RoundEnd> {
  const { client, params } = run;
  const backoff = params.backoff ?? { initialMs: 1000, maxMs: 30_000 };
  // A pod an earlier run evicted, or that something else is already deleting, is only waited for.
  const pending = new Map<string, Pending>(
    toEvict.map((pod) => [
      refOf(pod).uid,
      {
        pod,
        evicted: run.alreadyEvicted.has(refOf(pod).uid) || pod.metadata?.deletionTimestamp !== undefined,
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

/**
 * Drains a node the way careful controllers do (`kubectl drain --ignore-daemonsets`), in kubectl's
 * steps: cordon; the pods to evict (DaemonSet and mirror pods skipped with the reason, pods nothing
 * would recreate refused unless told); evict through the Eviction API with back-off while a
 * budget says 429, each grace period capped; wait until each pod is gone; and on failure undo the
 * cordon this drain made. A pause (the engine's window closing) stops before an eviction and
 * keeps the cordon and the progress, so the next run resumes where this one stopped.
 */
export async function drain(client: KubeClient, params: DrainParams): Promise<DrainOutcome> {
  const run = startRun(client, params);
  const cordoned = await cordonStep(run);
  if ('kind' in cordoned) {
    return undo(run, cordoned, []);
  }
  const pods = await podsToEvict(run);
  if ('error' in pods) {
    return undo(run, pods.error, pods.left);
  }
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

/** The pods left in place because of their namespace, named in the summary: a person has to know. */
function kept(skipped: SkippedPod[]): string {
  const left = skipped.filter((s) => s.reason === 'namespace');
  return left.length ? ` (left in place by the namespace limits: ${left.map(label).join(', ')})` : '';
}

function leftOf(pending: Map<string, Pending>): PodLeft[] {
  return [...pending.values()].map(({ pod, why }) => ({ ...refOf(pod), why }));
}
