import type { RestartResult, ScaleResult } from '../../contract/healing';
import { ConfigurationOptions, ObservableMiddleware, PatchStrategy, V1Scale } from '@kubernetes/client-node';
import { call, dryRunParam, FIELD_VALIDATION, KubeClient } from './client';
import { fail, KubeRequest, KubeResult, ok } from './errors';
import { guardedWrite, guardOf } from './guardedWrite';
import { counted } from '../../utils/count';

export type ScalableKind = 'deployment' | 'statefulset';
export type RestartableKind = 'deployment' | 'statefulset' | 'daemonset';

export interface WorkloadRef<K extends string = RestartableKind> {
  kind: K;
  namespace: string;
  name: string;
}

/** What the actions read of a Deployment, StatefulSet or DaemonSet. */
type WorkloadShape = {
  metadata?: { resourceVersion?: string };
  spec?: {
    replicas?: number;
    /** Deployments only: a paused Deployment rolls nothing until resumed. */
    paused?: boolean;
    /** StatefulSets and DaemonSets: OnDelete replaces a pod only when it is deleted. */
    updateStrategy?: { type?: string };
    template?: { metadata?: { annotations?: Record<string, string> } };
  };
};

type Options = ConfigurationOptions<ObservableMiddleware>;
type ObjectParams = { name: string; namespace: string };
type PatchParams = ObjectParams & { body: object; dryRun?: string; fieldValidation?: string };

/** A patch of the workload `target` as every action sends it: its dry run if asked, strict field validation. */
const patchOf = (target: ObjectParams, body: object, dryRun: boolean | undefined): PatchParams => ({
  name: target.name,
  namespace: target.namespace,
  body,
  dryRun: dryRunParam(dryRun),
  fieldValidation: FIELD_VALIDATION,
});

/** The apps/v1 read and patch of each restartable kind: the one place a call depends on the kind. */
function workloadCalls(
  client: KubeClient,
  kind: RestartableKind
): {
  read: (params: ObjectParams, options: Options) => Promise<WorkloadShape>;
  patch: (params: PatchParams, options: Options) => Promise<WorkloadShape>;
} {
  const { apps } = client;
  switch (kind) {
    case 'deployment':
      return {
        read: (p, o) => apps.readNamespacedDeployment(p, o),
        patch: (p, o) => apps.patchNamespacedDeployment(p, o),
      };
    case 'statefulset':
      return {
        read: (p, o) => apps.readNamespacedStatefulSet(p, o),
        patch: (p, o) => apps.patchNamespacedStatefulSet(p, o),
      };
    case 'daemonset':
      return {
        read: (p, o) => apps.readNamespacedDaemonSet(p, o),
        patch: (p, o) => apps.patchNamespacedDaemonSet(p, o),
      };
  }
}

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

export const workloadName = (ref: WorkloadRef<string>) => `${ref.kind} ${ref.namespace}/${ref.name}`;

const request = (ref: WorkloadRef<string>, verb: KubeRequest['verb'], subresource?: string): KubeRequest => ({
  verb,
  resource: `${ref.kind}s${subresource ? `/${subresource}` : ''}`,
  group: 'apps',
  namespace: ref.namespace,
  name: ref.name,
});

export interface ScaleParams {
  target: WorkloadRef<ScalableKind>;
  /** Exactly one of `replicas` (a count) and `delta` (added to the current count). */
  replicas?: number;
  delta?: number;
  /**
   * The most replicas a scale-out may reach; a scale-in never goes below 1. Neither turns the change
   * around: a scale-out of a workload at or above the ceiling, or a scale-in of one at 1, changes nothing.
   */
  ceiling: number;
  /**
   * Scale only while the workload still has this many replicas: the count the planned change
   * started from. Anything else means the world changed since, and the change is not made.
   */
  expectReplicas?: number;
  dryRun?: boolean;
}

function readScale(client: KubeClient, target: WorkloadRef<ScalableKind>) {
  const params = { name: target.name, namespace: target.namespace };
  return call(client, request(target, 'get', 'scale'), (options) =>
    target.kind === 'deployment'
      ? client.apps.readNamespacedDeploymentScale(params, options)
      : client.apps.readNamespacedStatefulSetScale(params, options)
  );
}

/**
 * Where a scale from `from` towards `requested` may go. The ceiling only holds a scale-out back and
 * the floor of one replica only holds a scale-in back: neither ever turns the change around, so a
 * workload already at or above the ceiling is left as it is by a scale-out (never scaled in to the
 * ceiling), and one at or below one replica by a scale-in (never scaled out to one).
 */
export function boundedScale(
  from: number,
  requested: number,
  ceiling: number
): { to: number; clamped?: 'ceiling' | 'floor' } {
  if (requested > from) {
    return requested > ceiling ? { to: Math.max(from, ceiling), clamped: 'ceiling' } : { to: requested };
  }
  if (requested < from) {
    return requested < 1 ? { to: Math.min(from, 1), clamped: 'floor' } : { to: requested };
  }
  return { to: from };
}

/**
 * Scales through the scale subresource. The patch carries the resourceVersion it was computed
 * from, so a concurrent change (an autoscaler, a person) makes it fail with 409 and we recompute
 * from a fresh read instead of overwriting it.
 */
export async function scale(client: KubeClient, params: ScaleParams): Promise<KubeResult<ScaleResult>> {
  const { target, replicas, delta, ceiling } = params;
  const countGiven = replicas !== undefined;
  if (countGiven === (delta !== undefined) || !Number.isInteger(ceiling) || ceiling < 1) {
    return fail({
      kind: 'bad-request',
      request: request(target, 'patch', 'scale'),
      message: `scale of ${workloadName(target)} needs either a replica count or a delta, and a ceiling of at least 1`,
    });
  }
  return guardedWrite(
    workloadName(target),
    'scaled',
    async () => {
      const current = await readScale(client, target);
      if (!current.ok) {
        return current;
      }
      const from = current.value.spec?.replicas ?? 0;
      if (params.expectReplicas !== undefined && from !== params.expectReplicas) {
        return fail({
          kind: 'changed',
          request: request(target, 'patch', 'scale'),
          message: `${workloadName(target)} now has ${from} replicas, not the ${params.expectReplicas} this change${countGiven ? ` to ${replicas}` : ''} was planned from: it was not scaled`,
        });
      }
      const requested = countGiven ? replicas : from + (delta ?? 0);
      return ok({
        from,
        requested,
        ...boundedScale(from, requested, ceiling),
        resourceVersion: current.value.metadata?.resourceVersion,
      });
    },
    async ({ from, requested, to, clamped, resourceVersion }) => {
      const guard = guardOf(workloadName(target), 'scaled', request(target, 'patch', 'scale'), resourceVersion);
      if (!guard.ok) {
        return guard;
      }
      const body = { metadata: { resourceVersion: guard.value }, spec: { replicas: to } };
      const patchParams = patchOf(target, body, params.dryRun);
      const patched = await call<V1Scale>(
        client,
        request(target, 'patch', 'scale'),
        (options) =>
          target.kind === 'deployment'
            ? client.apps.patchNamespacedDeploymentScale(patchParams, options)
            : client.apps.patchNamespacedStatefulSetScale(patchParams, options),
        PatchStrategy.MergePatch
      );
      if (!patched.ok) {
        return patched;
      }
      const limit =
        clamped === 'ceiling'
          ? ` (asked ${requested}, ceiling ${ceiling})`
          : clamped === 'floor'
            ? ` (asked ${requested}, never below 1)`
            : '';
      return ok({
        action: 'scale',
        target,
        from,
        to,
        requested,
        clamped,
        dryRun: params.dryRun === true,
        summary: `${params.dryRun ? 'would scale ' : ''}${workloadName(target)}: replicas ${from} → ${to}${limit}`,
      });
    }
  );
}

export interface RestartParams {
  target: WorkloadRef<RestartableKind>;
  /** The annotation value; chosen ahead by the caller so a reconcile can recognise its own restart. */
  restartedAt?: string;
  dryRun?: boolean;
}

/**
 * The workload's resourceVersion, read for a restart, unless the restart would take the annotation
 * and restart nothing: a paused Deployment (`kubectl rollout restart`'s refusal), and a StatefulSet or
 * DaemonSet whose update strategy is OnDelete. Of those, k8s.io/api apps/v1 types.go says:
 * OnDeleteStatefulSetStrategyType "Version tracking and ordered rolling restarts are disabled. Pods are
 * recreated from the StatefulSetSpec when they are manually deleted"; OnDeleteDaemonSetStrategyType
 * "Replace the old daemons only when it's killed".
 */
async function readRestartable(
  client: KubeClient,
  target: WorkloadRef<RestartableKind>
): Promise<KubeResult<string | undefined>> {
  const params = { name: target.name, namespace: target.namespace };
  const read = await call(client, request(target, 'get'), (options) =>
    workloadCalls(client, target.kind).read(params, options)
  );
  if (!read.ok) {
    return read;
  }
  if (read.value.spec?.paused === true) {
    return fail({
      kind: 'unsafe',
      request: request(target, 'patch'),
      message: `${workloadName(target)} is paused: a restart would roll none of its pods; resume its rollout first (kubectl rollout resume), nothing was changed`,
    });
  }
  if (target.kind !== 'deployment' && read.value.spec?.updateStrategy?.type === 'OnDelete') {
    return fail({
      kind: 'unsafe',
      request: request(target, 'patch'),
      message: `${workloadName(target)} has update strategy OnDelete: a restart would restart none of its pods (each is replaced only when deleted); delete its pods instead, nothing was changed`,
    });
  }
  return ok(read.value.metadata?.resourceVersion);
}

/**
 * A rolling restart as `kubectl rollout restart` does it: a new restartedAt annotation on the pod
 * template makes the controller roll every pod, honouring the workload's update strategy. It reads
 * the workload first and refuses a paused Deployment, as kubectl does, and an OnDelete StatefulSet or
 * DaemonSet, whose controller would roll nothing. The patch carries the resourceVersion of that read,
 * so a pause or a change of strategy landing in between fails it with 409 and the re-read refuses,
 * instead of the annotation landing on a workload that rolls nothing.
 */
export async function restart(client: KubeClient, params: RestartParams): Promise<KubeResult<RestartResult>> {
  const { target } = params;
  const restartedAt = params.restartedAt ?? new Date(client.clock.now()).toISOString();
  return guardedWrite(
    workloadName(target),
    'restarted',
    () => readRestartable(client, target),
    async (resourceVersion) => {
      const guard = guardOf(workloadName(target), 'restarted', request(target, 'patch'), resourceVersion);
      if (!guard.ok) {
        return guard;
      }
      const body = {
        metadata: { resourceVersion: guard.value },
        spec: { template: { metadata: { annotations: { [RESTARTED_AT]: restartedAt } } } },
      };
      const patchParams = patchOf(target, body, params.dryRun);
      const patched = await call(
        client,
        request(target, 'patch'),
        (options) => workloadCalls(client, target.kind).patch(patchParams, options),
        PatchStrategy.StrategicMergePatch
      );
      if (!patched.ok) {
        return patched;
      }
      const replicas = patched.value.spec?.replicas;
      const pods = replicas === undefined ? 'its pods' : `its ${counted(replicas, 'pod')}`;
      return ok({
        action: 'restart',
        target,
        restartedAt,
        replicas,
        dryRun: params.dryRun === true,
        summary: `${workloadName(target)}: ${params.dryRun ? 'would start a ' : ''}rolling restart of ${pods} (restartedAt ${restartedAt})`,
      });
    }
  );
}

/** The restartedAt annotation on a workload's pod template, for reconciling a restart. */
export async function readRestartedAt(
  client: KubeClient,
  target: WorkloadRef<RestartableKind>
): Promise<KubeResult<string | undefined>> {
  const params = { name: target.name, namespace: target.namespace };
  const read = await call(client, request(target, 'get'), (options) =>
    workloadCalls(client, target.kind).read(params, options)
  );
  return read.ok ? ok(read.value.spec?.template?.metadata?.annotations?.[RESTARTED_AT]) : read;
}

/** Current replicas of a scalable workload, for reconciling a scale. */
export async function readReplicas(client: KubeClient, target: WorkloadRef<ScalableKind>): Promise<KubeResult<number>> {
  const read = await readScale(client, target);
  return read.ok ? ok(read.value.spec?.replicas ?? 0) : read;
}

export type { RestartResult, ScaleResult };
