import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { HealingTrigger, Policy, SafetyLimits } from '../../contract/healing';
import type { Clock } from '../clock';
import type { KubeClient, KubernetesOptions } from '../kubernetes';
import type { Store } from '../store/store';
import type { CircuitBreakers } from './breaker';
import type { OperatorFeedbackReader } from './falsePositive';
import type { KeyedSerial } from './disruption';
import type { AutomationHolds } from './holds';
import type { Lifecycle } from './lifecycle';
import type { Notifier } from './notify';
import type { HealingSettings } from './settings';
import type { SilenceSource } from './silences';
import type { StoredAction } from './store/actionRows';

/** The current anomaly score of what triggered an action, in [0, 1]; undefined when unknown. Given by the pipeline. */
export type SignalReader = (trigger: HealingTrigger) => Promise<number | undefined>;

export interface HealingEngineDeps {
  /** Where the engine keeps its state: SQLite, or PostgreSQL shared by replicas. */
  store: Pick<Store, 'settings' | 'healing'>;
  /**
   * Kubernetes from the backend's config; absent when it has none. Access saved in Grafana (the
   * engine's `kubernetes`) wins over it; with neither, Kubernetes actions are blocked, saying so.
   */
  kube?: KubeClient;
  /** The options `kube` was built from (the backend's config), shown as its source in the settings. */
  kubeConfig?: KubernetesOptions;
  clock: Clock;
  logger: Logger;
  metrics: Registry;
  /** From the config file; the store wins once an admin saved policies. Absent: the default policies. */
  policies?: Policy[];
  limits?: SafetyLimits;
  notifier?: Notifier;
  readSignal?: SignalReader;
  /** Alertmanager's silences (`alertmanager.url`): automatic actions on a silenced target wait for approval. */
  silences?: SilenceSource;
  /** Days the engine keeps finished healing records and audit entries (retention.ts; absent or 0: all of them). */
  retentionDays?: number;
  /**
   * What operators said of an anomaly, latest first, from the store every replica shares (healing's
   * own verification is not among it): a standing "false positive" stops healing acting on it.
   * Given by the pipeline; absent: no anomaly is ever marked.
   */
  operatorFeedback?: OperatorFeedbackReader;
  /** Feedback for the pipeline: an anomaly an action healed is a confirmed incident. */
  onVerified?: (anomalyId: number, recovered: boolean, actionId: number) => void | Promise<void>;
  /** An action's place on Grafana's Actions page (from `FP_GRAFANA_URL`); with it, actions awaiting approval are announced with their link. */
  actionLink?: (actionId: number) => string;
  /** The Actions page, where actions awaiting approval are listed: the summary of approval requests held back links it. */
  pendingLink?: string;
  /**
   * Whether this replica leads (src/server/coordination/leadership.ts); absent: it always does.
   * Every replica records proposals and approvals; only the leader executes, recovers and verifies.
   */
  leads?: () => boolean;
  /**
   * With replicas electing a leader: the lease duration (coordination.leaseDuration) and when this
   * replica's unbroken lead began (undefined: it does not lead). An action another replica left
   * executing is recovered only after the claim fence (claimFence.ts), counted from then at the
   * earliest. Absent: one process, which recovers what it finds executing at once (whoever left it is dead).
   */
  election?: Election;
}

/** The leader election as the claim fence sees it (HealingEngineDeps.election). */
export interface Election {
  leaseDurationMs: number;
  leadingSince: () => number | undefined;
}

/** What the engine's parts share. */
export interface EngineContext {
  deps: HealingEngineDeps;
  /**
   * The Kubernetes client in use now (Admin-saved access, else the config's; undefined: none). Safe
   * between steps: each action step reads it once when it starts and finishes on it (a drain keeps
   * evicting through the cluster it cordoned); later steps use the new one.
   */
  kube: () => KubeClient | undefined;
  lifecycle: Lifecycle;
  settings: HealingSettings;
  /** Whether the engine is stopping: no step starts, and a drain pauses before its next eviction. */
  stopping: () => boolean;
  /** Asks for a tick: an action became runnable. */
  kick: () => void;
  /** When `auto` does not hold (paused namespace, storm, outside the policy's window, a silence). */
  holds: AutomationHolds;
  /** One check-and-change at a time per workload namespace, and for the nodes. */
  serial: KeyedSerial;
  /** After an action was superseded: proposes its policy's action again when it still applies; says what it did. */
  repropose: (superseded: StoredAction) => Promise<string>;
  /** Per-target circuit breakers: an automatic action on a target that keeps needing the fix waits for a person. */
  breakers: CircuitBreakers;
}
