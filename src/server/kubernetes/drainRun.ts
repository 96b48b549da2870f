import type { V1ObjectMeta, V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { type DrainReport, type PodLeft, type PodRef, type SkippedPod, type SkipReason } from '../../contract/healing';
import type { KubeClient } from './client';
import type { KubeError } from './errors';
import type { DrainProgress } from './drainProgress';
import { uncordon } from './nodes';

// What a drain is asked, reports and keeps while it runs; the steps are in drainPods.ts and eviction.ts.

/** Asked for the namespace of each pod a drain would evict: a reason leaves its pods where they are. */
export type EvictionPolicy = (namespace: string) => Pick<SkippedPod, 'why' | 'since'> | undefined;

/** How the engine steers a drain while it runs: where it resumes, saves progress, stops, pauses and may evict. */
export interface DrainControl {
  /** The action draining: named on the node by its cordon, so a run after a crash knows that cordon as its own. */
  owner?: string;
  /** Progress persisted by an earlier, interrupted run: its pods are waited for, never evicted again. */
  resume?: DrainProgress;
  /** Called after the cordon and after each accepted eviction; awaited, so the engine can persist it first. */
  onProgress?: (progress: DrainProgress) => void | Promise<void>;
  /** Asked before each eviction; a reason stops the drain there (the engine's kill switch, read from its store). */
  shouldStop?: () => Promise<string | undefined> | string | undefined;
  /**
   * Asked before each eviction, after `shouldStop`; a reason pauses the drain there (the engine's
   * window closed): the node stays cordoned and the progress saved, to resume later.
   */
  shouldPause?: () => Promise<string | undefined> | string | undefined;
  /**
   * Namespaces whose pods the drain must not evict (the engine's namespace deny-list, allow-list
   * and hourly limit per namespace): their pods are skipped and reported, never evicted.
   */
  mayEvict?: EvictionPolicy;
}

export interface DrainParams extends DrainControl {
  node: string;
  dryRun?: boolean;
  /** The whole drain, PodDisruptionBudget waits included, must finish within this. Default 300. */
  timeoutSeconds?: number;
  /** A pod's own grace period, capped at this. Default 60. */
  maxGracePeriodSeconds?: number;
  /** Evict pods no controller would recreate (`kubectl drain --force`). Default false: refuse. */
  evictUnmanaged?: boolean;
  /** Evict pods keeping data in emptyDir volumes, deleting it (`kubectl drain --delete-emptydir-data`). Default false: refuse. */
  deleteEmptyDirData?: boolean;
  /** Uncordon the node if the drain fails and this drain cordoned it. Default true. */
  uncordonOnFailure?: boolean;
  /** Backoff between rounds of evictions a PodDisruptionBudget turned away. */
  backoff?: { initialMs: number; maxMs: number };
  /** How often to look whether an evicted pod is gone. Default 1000. */
  pollIntervalMs?: number;
}

export type DrainOutcome = { ok: true; value: DrainReport } | { ok: false; error: KubeError; report: DrainReport };

/**
 * What a real API server gives every pod it lists: a namespace, a name and a uid. A drain keys its pods
 * by uid and pins each eviction to it; a uid of '' would be a precondition no pod meets (409, and only
 * after the eviction has taken a disruption from the pod's budget: eviction.go decrements the budget
 * before the delete checks preconditions), which the drain would then read as "the pod was replaced".
 */
const podIdentitySchema = z.object({ namespace: z.string().min(1), name: z.string().min(1), uid: z.string().min(1) });

/** A listed pod whose identity was checked (`identified`). */
export type ListedPod = V1Pod & { metadata: V1ObjectMeta & PodRef };

export const identified = (pod: V1Pod): pod is ListedPod => podIdentitySchema.safeParse(pod.metadata ?? {}).success;

export const refOf = (pod: ListedPod): PodRef => ({
  namespace: pod.metadata.namespace,
  name: pod.metadata.name,
  uid: pod.metadata.uid,
});

export const label = (pod: { namespace: string; name: string }) => `${pod.namespace}/${pod.name}`;

/** A drain as it goes: what it has done (persisted), what it reports, and where it saves progress. */
export interface DrainRun {
  client: KubeClient;
  params: DrainParams;
  dryRun: boolean;
  deadline: number;
  progress: DrainProgress;
  /** UIDs an earlier run, or this one, evicted: never evicted again. */
  alreadyEvicted: Set<string>;
  report: DrainReport;
}

export interface Pending {
  pod: ListedPod;
  evicted: boolean;
  /** An eviction of it was refused (429, 409) and it stayed: before the next, it is read again. */
  turnedAway: boolean;
  why: string;
}

export function startRun(client: KubeClient, params: DrainParams): DrainRun {
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

export async function saveProgress(run: DrainRun): Promise<void> {
  if (!run.dryRun) {
    await run.params.onProgress?.({
      cordonedByDrain: run.progress.cordonedByDrain,
      evicted: [...run.progress.evicted],
    });
  }
}

/** The drain failed: report what is left and undo the cordon this drain made (unless told not to). */
export async function undo(run: DrainRun, error: KubeError, left: PodLeft[]): Promise<DrainOutcome> {
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

/** The pods left in place because of their namespace, named in the summary: a person has to know. */
export function kept(skipped: SkippedPod[]): string {
  const left = skipped.filter((s) => s.reason === 'namespace');
  return left.length ? ` (left in place by the namespace limits: ${left.map(label).join(', ')})` : '';
}

export type { DrainReport, PodLeft, PodRef, SkippedPod, SkipReason };
