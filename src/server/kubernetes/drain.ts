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

/**
 * Drains a node the way careful controllers do (`kubectl drain --ignore-daemonsets`): cordon; skip
 * DaemonSet and mirror pods and say so; refuse pods nothing would recreate unless told; evict the
 * others through the Eviction API so PodDisruptionBudgets hold, with each pod's grace period
 * capped; back off and retry while a budget says 429, until the deadline; after each eviction wait
 * until the pod is gone; and on failure uncordon what it cordoned.
 */
export async function drain(client: KubeClient, params: DrainParams): Promise<DrainOutcome> {
  const { node } = params;
  const { clock } = client;
  const dryRun = params.dryRun === true;
  const deadline = clock.now().getTime() + (params.timeoutSeconds ?? 300) * 1000;
  const maxGrace = params.maxGracePeriodSeconds ?? 60;
  const pollMs = params.pollIntervalMs ?? 1000;
  const backoff = params.backoff ?? { initialMs: 1000, maxMs: 30_000 };
  const progress: DrainProgress = {
    cordonedByDrain: params.resume?.cordonedByDrain ?? false,
    evicted: [...(params.resume?.evicted ?? [])],
  };
  const alreadyEvicted = new Set(progress.evicted.map((p) => p.uid));
  const report: DrainReport = {
    action: 'drain',
    node,
    dryRun,
    evicted: [],
    skipped: [],
    left: [],
    cordonedByDrain: false,
    uncordoned: false,
    summary: '',
  };
  const saveProgress = async () => {
    if (!dryRun) {
      await params.onProgress?.({ cordonedByDrain: progress.cordonedByDrain, evicted: [...progress.evicted] });
    }
  };

  const failWith = async (error: KubeError, left: PodLeft[]): Promise<DrainOutcome> => {
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
  };

  const cordoned = await cordon(client, { node, dryRun });
  if (!cordoned.ok) {
    return failWith(cordoned.error, []);
  }
  if (cordoned.value.changed) {
    progress.cordonedByDrain = true;
    await saveProgress();
  }

  const listed = await call(client, { verb: 'list', resource: 'pods', group: '' }, (options) =>
    client.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` }, options)
  );
  if (!listed.ok) {
    return failWith(listed.error, []);
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
    return failWith(
      {
        kind: 'unsafe',
        message: `node ${node} runs pods no controller would recreate (${unmanaged.map(label).join(', ')}); drain them with evictUnmanaged to lose them`,
      },
      unmanaged
    );
  }

  const evictOnce = (pod: V1Pod) => {
    const ref = refOf(pod);
    const grace = Math.min(pod.spec?.terminationGracePeriodSeconds ?? 30, maxGrace);
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
  };

  if (dryRun) {
    for (const pod of toEvict) {
      const evicted = await evictOnce(pod);
      if (evicted.ok) {
        report.evicted.push(refOf(pod));
      } else if (evicted.error.kind === 'too-many-requests') {
        report.left.push({ ...refOf(pod), why: blockedBecause(evicted.error) });
      } else {
        return failWith(evicted.error, []);
      }
    }
    const blocked = report.left.length
      ? `; ${report.left.length} blocked right now (${report.left.map(label).join(', ')}), a real drain would wait for them`
      : '';
    report.cordonedByDrain = cordoned.value.changed;
    report.summary = `drain of node ${node} would evict ${report.evicted.length} pod(s)${report.evicted.length ? ` (${report.evicted.map(label).join(', ')})` : ''}, skip ${report.skipped.length}${kept(report.skipped)}${blocked}`;
    return { ok: true, value: report };
  }

  /** Waits until the pod is gone: 404, or its name now belongs to another UID. */
  const waitGone = async (ref: PodRef): Promise<KubeError | 'gone' | 'deadline'> => {
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
      if (clock.now().getTime() + pollMs > deadline) {
        return 'deadline';
      }
      await clock.sleep(pollMs);
    }
  };

  // A pod an earlier run evicted, or that something else is already deleting, is only waited for.
  const pending = new Map<string, { pod: V1Pod; evicted: boolean; why: string }>(
    toEvict.map((pod) => [
      refOf(pod).uid,
      {
        pod,
        evicted: alreadyEvicted.has(refOf(pod).uid) || pod.metadata?.deletionTimestamp !== undefined,
        why: 'not evicted yet',
      },
    ])
  );
  let wait = backoff.initialMs;
  for (;;) {
    for (const [uid, entry] of pending) {
      const ref = refOf(entry.pod);
      if (!entry.evicted) {
        const stop = params.shouldStop?.();
        if (stop) {
          return failWith(
            { kind: 'stopped', message: `drain of node ${node} stopped before evicting ${label(ref)}: ${stop}` },
            leftOf(pending)
          );
        }
        const evicted = await evictOnce(entry.pod);
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
          return failWith(evicted.error, leftOf(pending));
        }
        entry.evicted = true;
        if (!alreadyEvicted.has(uid)) {
          alreadyEvicted.add(uid);
          progress.evicted.push(ref);
        }
        await saveProgress();
      }
      const gone = await waitGone(ref);
      if (gone === 'deadline') {
        entry.why = 'evicted but still terminating';
        break;
      }
      if (gone !== 'gone') {
        return failWith(gone, leftOf(pending));
      }
      pending.delete(uid);
    }
    if (pending.size === 0) {
      break;
    }
    if (clock.now().getTime() + wait > deadline) {
      const left = leftOf(pending);
      return failWith(
        {
          kind: 'deadline-exceeded',
          message: `drain of node ${node} did not finish within ${params.timeoutSeconds ?? 300}s; pods left: ${left.map((p) => `${label(p)} (${p.why})`).join(', ')}`,
        },
        left
      );
    }
    await clock.sleep(wait);
    wait = Math.min(wait * 2, backoff.maxMs);
  }

  report.evicted = [...progress.evicted];
  report.cordonedByDrain = progress.cordonedByDrain;
  report.summary = `node ${node} drained: ${report.evicted.length} pod(s) evicted, ${report.skipped.length} skipped${
    report.skipped.length ? ` (${report.skipped.map((s) => `${label(s)}: ${s.reason}`).join(', ')})` : ''
  }`;
  return { ok: true, value: report };
}

/** The pods left in place because of their namespace, named in the summary: a person has to know. */
function kept(skipped: SkippedPod[]): string {
  const left = skipped.filter((s) => s.reason === 'namespace');
  return left.length ? ` (left in place by the namespace limits: ${left.map(label).join(', ')})` : '';
}

function leftOf(pending: Map<string, { pod: V1Pod; why: string }>): PodLeft[] {
  return [...pending.values()].map(({ pod, why }) => ({ ...refOf(pod), why }));
}
