import { Counter, Histogram, type Registry } from 'prom-client';
import type { PolicyOutcome } from '../../contract/healing';
import { counter } from './metrics';
import type { StoredAction } from './store/actionRows';
import type { OutcomeRow } from './store/repositories';

/**
 * What one execution achieved, the words declared once for `/metrics` and the Actions page:
 * - recovered: its verification saw the signal recover within the window; the recovery is when the
 *   trigger closed (if it closed after the start) or else when the verification saw it;
 * - prevented: it acted on a time-to-failure prediction and recovered before the predicted crossing.
 */
export function recovery(
  startedAt: number,
  verifiedAt: number,
  closedAt: number | undefined,
  predictedFailureAt: number | undefined
): { seconds: number; prevented: boolean } {
  const at = closedAt !== undefined && closedAt >= startedAt && closedAt <= verifiedAt ? closedAt : verifiedAt;
  return {
    seconds: (at - startedAt) / 1000,
    prevented: predictedFailureAt !== undefined && startedAt < predictedFailureAt && at <= predictedFailureAt,
  };
}

/** Outcome metrics per policy and action type (bounded: policies are at most 200, types 7). */
export class OutcomeMetrics {
  private readonly executed: Counter<'policy' | 'action'>;
  private readonly outcomes: Counter<'policy' | 'action' | 'outcome'>;
  private readonly recoverySeconds: Histogram<'policy' | 'action'>;
  private readonly prevented: Counter<'policy' | 'action'>;

  constructor(
    registry: Registry,
    private readonly closedAt: (action: StoredAction) => Promise<number | undefined>
  ) {
    this.executed = counter(registry, 'executed');
    this.outcomes = counter(registry, 'outcomes');
    this.recoverySeconds = new Histogram({
      name: 'failureprophet_healing_time_to_recovery_seconds',
      help: 'From the start of a healing action to the recovery of its signal, by policy and action type.',
      labelNames: ['policy', 'action'],
      buckets: [30, 60, 120, 300, 600, 900, 1800, 3600, 7200],
      registers: [registry],
    });
    this.prevented = counter(registry, 'prevented');
  }

  /** A lifecycle observer: counts as actions start, fail and are verified. */
  async entered(action: StoredAction, before: StoredAction): Promise<void> {
    const labels = { policy: action.policy, action: action.action.type };
    switch (action.state) {
      case 'executing':
        // Started once: a paused drain resuming (it keeps its start), or a notification tried again
        // after a failed attempt (notifyAttempts.ts: approved again with a `notification` reason), is
        // the same start.
        if (before.startedAt === undefined && before.reason?.kind !== 'notification') {
          this.executed.inc(labels);
        }
        return;
      case 'failed':
        this.outcomes.inc({ ...labels, outcome: 'failed' });
        return;
      case 'not_recovered':
        this.outcomes.inc({ ...labels, outcome: 'not_recovered' });
        return;
      case 'verified': {
        this.outcomes.inc({ ...labels, outcome: 'recovered' });
        if (action.startedAt === undefined || action.verification === undefined) {
          return;
        }
        const r = recovery(
          action.startedAt,
          action.verification.at,
          await this.closedAt(action),
          action.trigger.predictedFailureAt
        );
        this.recoverySeconds.observe(labels, r.seconds);
        if (r.prevented) {
          this.prevented.inc(labels);
        }
        return;
      }
    }
  }
}

const median = (xs: number[]) => {
  if (xs.length === 0) {
    return null;
  }
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** The same outcomes from the store's rows, since the first action (the page's numbers survive restarts). */
export function outcomesFrom(rows: OutcomeRow[]): PolicyOutcome[] {
  const groups = new Map<string, { outcome: PolicyOutcome; seconds: number[] }>();
  for (const row of rows) {
    const key = `${row.policy}\u0000${row.actionType}`;
    const group = groups.get(key) ?? {
      outcome: {
        policy: row.policy,
        action: row.actionType,
        executed: 0,
        recovered: 0,
        notRecovered: 0,
        failed: 0,
        medianRecoverySeconds: null,
        prevented: 0,
      },
      seconds: [],
    };
    groups.set(key, group);
    const o = group.outcome;
    o.executed += 1;
    const { state } = row;
    if (state === 'failed') {
      o.failed += 1;
    } else if (state === 'not_recovered') {
      o.notRecovered += 1;
    } else if (state === 'verified' && row.verifiedAt !== undefined) {
      o.recovered += 1;
      const r = recovery(row.startedAt, row.verifiedAt, row.closedAt, row.predictedFailureAt);
      group.seconds.push(r.seconds);
      o.prevented += r.prevented ? 1 : 0;
    }
  }
  return [...groups.values()].map((g) => ({ ...g.outcome, medianRecoverySeconds: median(g.seconds) }));
}
