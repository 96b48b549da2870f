// The healing settings as a request writes them: the schemas the store reads them back with, plus the
// name rules those leave out, so rows saved before the rules still load while no request adds to them.
import { namespaceProblem, namespacesNamed } from '../vocabulary';
import { safetyLimitsSchema } from './limits';
import { putNamespacePausesBodySchema } from './maintenance';

/** The allow-list's word for every namespace; the deny-list has none (a "*" there denies nothing). */
const ALL_NAMESPACES = '*';

export const DAY_SECONDS = 86_400;
/** The most replicas a write may name (the replica ceiling, a policy's scale): far past any workload's. */
export const REPLICAS_MAX = 10_000;

/**
 * The most each whole-number limit may be when written (rows saved before still load): a few digits too many,
 * or 2^53, is refused naming the bound. Waits at most what a person waits for; counts at most what a cluster
 * holds (Kubernetes supports 5,000 nodes).
 */
const LIMIT_BOUNDS: ReadonlyArray<{ path: readonly string[]; max: number; words: string }> = [
  { path: ['cooldownSeconds'], max: 30 * DAY_SECONDS, words: '2592000 seconds (30 days)' },
  { path: ['maxActionsPerHour'], max: 10_000, words: '10000' },
  { path: ['maxActionsPerHourPerNamespace'], max: 10_000, words: '10000' },
  { path: ['maxNodesDisrupted'], max: 5_000, words: '5000 (the nodes Kubernetes supports in one cluster)' },
  { path: ['replicaCeiling'], max: REPLICAS_MAX, words: String(REPLICAS_MAX) },
  { path: ['circuitBreaker', 'maxRepeats'], max: 1_000, words: '1000' },
  { path: ['circuitBreaker', 'windowSeconds'], max: 365 * DAY_SECONDS, words: '31536000 seconds (a year)' },
  { path: ['approvalTimeoutSeconds'], max: 30 * DAY_SECONDS, words: '2592000 seconds (30 days)' },
  { path: ['verification', 'settleSeconds'], max: DAY_SECONDS, words: '86400 seconds (a day)' },
  { path: ['verification', 'windowSeconds'], max: DAY_SECONDS, words: '86400 seconds (a day)' },
  { path: ['notifications', 'maxPerHour'], max: 10_000, words: '10000' },
  { path: ['storm', 'maxAlarmingTargets'], max: 1_000_000, words: '1000000' },
];

const valueAt = (limits: object, path: readonly string[]): unknown =>
  path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], limits);

/**
 * PUT /api/admin/safety-limits and the config file's healing.limits: each entry of the allow- and deny-lists a
 * namespace's name, each number within its bound.
 */
export const safetyLimitsWriteSchema = safetyLimitsSchema.superRefine((limits, ctx) => {
  namespacesNamed(limits.namespaces.allow, ctx, ['namespaces', 'allow'], [ALL_NAMESPACES]);
  namespacesNamed(limits.namespaces.deny, ctx, ['namespaces', 'deny']);
  for (const { path, max, words } of LIMIT_BOUNDS) {
    const value = valueAt(limits, path);
    if (typeof value === 'number' && value > max) {
      ctx.addIssue({ code: 'custom', path: [...path], message: `must be at most ${words}` });
    }
  }
});

/** PUT /api/admin/namespace-pauses: each paused namespace a namespace's name. */
export const namespacePausesWriteSchema = putNamespacePausesBodySchema.superRefine((body, ctx) =>
  body.pauses.forEach((pause, i) => {
    const problem = namespaceProblem(pause.namespace);
    if (problem) {
      ctx.addIssue({ code: 'custom', path: ['pauses', i, 'namespace'], message: problem });
    }
  })
);
