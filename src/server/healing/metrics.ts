import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ActionState, ActionType } from '../../contract/healing';
import { PRUNED_TABLES, type PruneBatch } from './store/prune';

/** The healing engine's counters, one table for the lifecycle and the outcome metrics. */
const COUNTERS = {
  actions: {
    name: 'failureprophet_actions_total',
    help: 'Healing actions entering each lifecycle state, by action type.',
    labelNames: ['action', 'state'],
  },
  refusals: {
    name: 'failureprophet_safety_refusals_total',
    help: 'Actions a safety limit blocked or held, by limit.',
    labelNames: ['limit'],
  },
  executed: {
    name: 'failureprophet_healing_executed_total',
    help: 'Healing actions started, by policy and action type.',
    labelNames: ['policy', 'action'],
  },
  outcomes: {
    name: 'failureprophet_healing_outcomes_total',
    help: 'What executed healing actions achieved, by policy and action type: recovered (within the verification window), not_recovered, failed (the execution failed).',
    labelNames: ['policy', 'action', 'outcome'],
  },
  prevented: {
    name: 'failureprophet_healing_failures_prevented_total',
    help: 'Healing actions taken on a time-to-failure prediction whose target recovered before the predicted crossing.',
    labelNames: ['policy', 'action'],
  },
  pruned: {
    name: 'failureprophet_healing_pruned_total',
    help: `Healing records deleted by retention (FP_HEALING_RETENTION_DAYS), by table: ${PRUNED_TABLES.join(', ')}.`,
    labelNames: ['table'],
  },
} as const;

type CounterName = keyof typeof COUNTERS;

/** A counter of the table above, registered where `/metrics` reads it. */
export const counter = <K extends CounterName>(registry: Registry, key: K) =>
  new Counter<(typeof COUNTERS)[K]['labelNames'][number]>({ ...COUNTERS[key], registers: [registry] });

/** The healing engine's metrics; the gauges read the store when scraped, so they hold across restarts. */
export class HealingMetrics {
  private readonly actions: Counter<'action' | 'state'>;
  private readonly refusals: Counter<'limit'>;
  private readonly prunedRows: Counter<'table'>;
  private readonly duration: Histogram<'action' | 'outcome'>;

  constructor(
    registry: Registry,
    read: { awaitingApproval: () => Promise<number>; killSwitchEngaged: () => Promise<boolean> }
  ) {
    this.actions = counter(registry, 'actions');
    this.refusals = counter(registry, 'refusals');
    this.prunedRows = counter(registry, 'pruned');
    // Each table's series from the start, so a rate over the first prune sees it rise from zero.
    for (const table of PRUNED_TABLES) {
      this.prunedRows.inc({ table }, 0);
    }
    this.duration = new Histogram({
      name: 'failureprophet_action_duration_seconds',
      help: 'How long executing an action took, by action type and outcome.',
      labelNames: ['action', 'outcome'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900],
      registers: [registry],
    });
    new Gauge({
      name: 'failureprophet_actions_awaiting_approval',
      help: 'Proposed actions waiting for an approval.',
      registers: [registry],
      async collect() {
        this.set(await read.awaitingApproval());
      },
    });
    new Gauge({
      name: 'failureprophet_kill_switch_engaged',
      help: '1 while the kill switch stops every execution.',
      registers: [registry],
      async collect() {
        this.set((await read.killSwitchEngaged()) ? 1 : 0);
      },
    });
  }

  entered(action: ActionType, state: ActionState): void {
    this.actions.inc({ action, state });
  }

  refused(limit: string): void {
    this.refusals.inc({ limit });
  }

  pruned(deleted: PruneBatch['deleted']): void {
    for (const [table, n] of Object.entries(deleted)) {
      this.prunedRows.inc({ table }, n);
    }
  }

  executed(action: ActionType, ok: boolean, seconds: number): void {
    this.duration.observe({ action, outcome: ok ? 'succeeded' : 'failed' }, seconds);
  }
}
