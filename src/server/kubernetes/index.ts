// Kubernetes access for the healing engine: connection, actions (each with a server-side dry run),
// reconciliation after a crash, and errors as values an operator can read.

export { kubeActionSchema, executeKubeAction, pinAction } from './actions';
export type { ActionOutcome, ActionResult, ExecuteOptions, KubeAction, KubeActionType } from './actions';
export { createKubeClient, kubeClientFromOptions } from './client';
export type { KubeClient } from './client';
export { createKubeConfig, kubernetesOptionsFromEnv, kubernetesOptionsSchema } from './config';
export type { KubernetesOptions, KubernetesOptionsInput } from './config';
export { drain } from './drain';
export { drainProgressSchema } from './drainProgress';
export type { DrainProgress } from './drainProgress';
// The drain's report types are the contract's: import them from contract/healing.
export type { DrainControl, DrainOutcome, DrainParams, EvictionPolicy } from './drainRun';
export type { KubeError, KubeErrorKind, KubeRequest, KubeResult, RbacRefusal } from './errors';
export { cordon, uncordon } from './nodes';
export type { CordonResult, NodeParams } from './nodes';
export { deletePod } from './pods';
export type { DeletePodParams, DeletePodResult } from './pods';
export { reconcile } from './reconcile';
export type { Reconciliation } from './reconcile';
export { restart, scale, RESTARTED_AT } from './workloads';
export type * from './workloads';
