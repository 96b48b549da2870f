import type { Action } from '../../contract/healing';
import type { Anomaly, Target } from '../../contract/pipeline';

/** A scale-out waiting for approval, with its dry-run diff, as the backend lists it. */
export function pendingAction(id = 7, overrides: Partial<Action> = {}): Action {
  return {
    id,
    state: 'awaiting_approval',
    trigger: {
      source: 'alert',
      id: `fp-${id}`,
      watch: 'HighLatency',
      labels: { namespace: 'shop', deployment: 'cart' },
      severity: 'critical',
      summary: 'cart p99 latency above 2s',
      startedAt: 1_700_000_000_000,
    },
    policy: 'critical-scale-out',
    gate: 'approve',
    action: {
      type: 'scale',
      target: { kind: 'deployment', namespace: 'shop', name: 'cart' },
      replicas: 4,
      ceiling: 20,
    },
    target: 'deployment shop/cart',
    namespace: 'shop',
    dryRun: {
      ok: true,
      at: 1_700_000_000_000,
      summary: 'would scale deployment shop/cart from 3 to 4',
      changes: [{ field: 'deployment shop/cart replicas', from: '3', to: '4' }],
    },
    decisions: [],
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    ...overrides,
  };
}

export function target(id: string, overrides: Partial<Target> = {}): Target {
  return {
    id,
    watch: 'latency',
    labels: { namespace: 'shop', deployment: id },
    object: { kind: 'Deployment', namespace: 'shop', name: id },
    score: 0.2,
    threshold: 0.8,
    severity: null,
    failureModel: null,
    timeToFailure: null,
    openAnomalies: 0,
    lastScoredAt: 1_700_000_000_000,
    learning: false,
    learningProgress: 1,
    learningSecondsLeft: 0,
    faultsOnlySecondsLeft: 0,
    degraded: false,
    signals: [],
    ...overrides,
  };
}

export function anomaly(id: number, overrides: Partial<Anomaly> = {}): Anomaly {
  return {
    id,
    target: 'latency{deployment="cart"}',
    watch: 'latency',
    labels: { deployment: 'cart' },
    start: 1_700_000_000_000,
    end: 1_700_000_600_000,
    peakScore: 0.97,
    severity: 'critical',
    failureModel: 'resource_exhaustion',
    state: 'open',
    signals: ['p99'],
    direction: 'above',
    reasons: [],
    feedback: [],
    ...overrides,
  };
}
