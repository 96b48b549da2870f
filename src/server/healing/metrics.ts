import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ActionState, ActionType } from '../../contract/healing';

/** A counter of the healing engine's, registered where `/metrics` reads it. */
export const counter = <L extends string>(registry: Registry, spec: { name: string; help: string; labelNames: L[] }) =>
  new Counter<L>({ ...spec, registers: [registry] });

/** The healing engine's metrics; the gauges read the store when scraped, so they hold across restarts. */
export class HealingMetrics {
  private readonly actions: Counter<'action' | 'state'>;
  private readonly refusals: Counter<'limit'>;
  private readonly duration: Histogram<'action' | 'outcome'>;

  constructor(
    registry: Registry,
    read: { awaitingApproval: () => Promise<number>; killSwitchEngaged: () => Promise<boolean> }
  ) {
    this.actions = counter(registry, {
      name: 'failureprophet_actions_total',
      help: 'Healing actions entering each lifecycle state, by action type.',
      labelNames: ['action', 'state'],
    });
    this.refusals = counter(registry, {
      name: 'failureprophet_safety_refusals_total',
      help: 'Actions a safety limit blocked or held, by limit.',
      labelNames: ['limit'],
    });
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

  executed(action: ActionType, ok: boolean, seconds: number): void {
    this.duration.observe({ action, outcome: ok ? 'succeeded' : 'failed' }, seconds);
  }
}
