// The healing engine: policies, gates, safety limits, execution, verification and the audit log.
// The pipeline calls `onAnomaly` / `onAnomalyClosed`; the alert intake calls `onAlerts`.

export { HealingEngine } from './engine';
export type { DecisionOutcome, HealingEngineDeps, SignalReader } from './engine';
export { DEFAULT_POLICIES } from './policies';
export { createNotifier } from './notify';
export type { Notifier, NotifyConfig } from './notify';
export { anomalyListener, triggerFromAnomaly } from './fromPipeline';
