// The healing engine: policies, gates, safety limits, execution, verification and the audit log.
// The pipeline calls `onAnomaly` / `onAnomalyClosed` (see fromPipeline.ts); the alert intake calls `onAlerts`.

export { HealingEngine } from './engine';
export type { HealingEngineDeps, SignalReader } from './context';
export type { DecisionOutcome } from './gates';
export { DEFAULT_POLICIES } from './policies';
export { createNotifier } from './notify';
export type { Notifier, NotifyConfig } from './notify';
export { anomalyListener, triggerFromAnomaly } from './fromPipeline';
