import type { Action } from '../../contract/healing';

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
