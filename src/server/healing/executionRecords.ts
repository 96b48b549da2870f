import { z } from 'zod';
import {
  reasonText,
  type ActionState,
  type DryRunRecord,
  type ExecutionResult,
  type Reason,
} from '../../contract/healing';
import { iso, type AuditNote } from './lifecycle';
import { uncordonReleases } from './nodeCheck';
import type { EngineContext } from './context';
import type { StoredAction } from './store/actionRows';

/** What a failed drain or cordon reports about the node: whether it is still cordoned by the engine. */
const drainEndSchema = z.object({ uncordoned: z.boolean().optional(), cordonedByDrain: z.boolean().optional() });

/** The result of an action whose means is not configured (`Kubernetes is`, `notifications are`). */
export const notConfigured = (what: string): ExecutionResult => ({
  ok: false,
  summary: `${what} not configured`,
  error: { kind: 'not-configured', message: `${what} not configured` },
});

/**
 * Why this replica may no longer act, if so: it is stopping (SIGTERM), or, a leader past its renew
 * deadline, it stops before the next change (a claim, an eviction), since another replica may take
 * over once its lease expires. What it leaves executing is resumed by whoever leads next.
 */
export function notActing(ctx: Pick<EngineContext, 'deps' | 'stopping'>): string | undefined {
  if (ctx.stopping()) {
    return 'this replica is stopping (SIGTERM)';
  }
  const { leads } = ctx.deps;
  return leads && !leads() ? 'this replica no longer leads (it could not renew its leadership in time)' : undefined;
}

/**
 * How the executor records an approved action it does not run now or has run: waiting, superseded,
 * paused, or finished with its result (each one store transaction with its audit entries).
 */
export class ExecutionRecords {
  constructor(private readonly ctx: EngineContext) {}

  private get lifecycle() {
    return this.ctx.lifecycle;
  }

  /** True when it must wait: the action stays approved and says what it waits for (audited once per change). */
  async wait(action: StoredAction, waiting: Reason | undefined): Promise<boolean> {
    const { lifecycle } = this;
    if (waiting && (action.reason?.message !== waiting.message || action.reason.since !== waiting.since)) {
      const at = lifecycle.now();
      await lifecycle.actions.setReason(action.id, waiting, at, {
        at,
        kind: 'waiting',
        actionId: action.id,
        triggerId: action.trigger.id,
        message: reasonText(waiting, iso),
      });
      lifecycle.metrics.refused(waiting.kind);
    }
    return waiting !== undefined;
  }

  /**
   * The cluster changed since the approval: the action is not run, it is recorded superseded with
   * what changed, and proposed again from what the cluster is now when its policy still applies.
   */
  async supersede(action: StoredAction, from: ActionState[], message: string, dryRun?: DryRunRecord): Promise<void> {
    const { lifecycle } = this;
    const moved = await lifecycle.move(
      action,
      from,
      'superseded',
      { reason: { kind: 'superseded', message }, finishedAt: lifecycle.now(), ...(dryRun ? { dryRun } : {}) },
      [
        ...(dryRun ? [{ kind: 'dry_run' as const, message: dryRun.summary, details: dryRun }] : []),
        { kind: 'superseded', message },
      ]
    );
    if (moved) {
      const next = await this.ctx.repropose(await lifecycle.get(action.id));
      await lifecycle.actions.setReason(
        action.id,
        { kind: 'superseded', message: `${message}; ${next}` },
        lifecycle.now()
      );
    }
  }

  /** Stopped at a safe point: back to approved with its progress and its node held, to resume when automation holds again. */
  async pause(action: StoredAction, summary: string): Promise<void> {
    const { lifecycle } = this;
    const reason = (await this.ctx.holds.pausing(action)) ?? { kind: 'outside-window' as const, message: summary };
    await lifecycle.move(action, ['executing'], 'approved', { reason }, [{ kind: 'paused', message: summary }]);
  }

  /** The outcome, audited after `before` (a notification's last attempt) in the same write. */
  async finish(action: StoredAction, result: ExecutionResult, before: AuditNote[] = []): Promise<void> {
    const planned = action.action;
    // The node budget: a node stays held while the engine keeps it cordoned; given back in the
    // transaction that records the outcome. A failed drain whose uncordon Kubernetes refused keeps
    // it: the leader tries that uncordon again at each tick (endedHolds.ts), never while it runs here.
    let releaseNode: string | undefined;
    // An uncordon gives back the hold of a cordon or drain that has ended, never of one still at work
    // on the node (executing or paused): that one gives its own hold back.
    if (planned.type === 'uncordon' && result.ok && (await uncordonReleases(this.lifecycle.actions, planned.node))) {
      releaseNode = planned.node;
    }
    if ((planned.type === 'drain' || planned.type === 'cordon') && !result.ok) {
      const report = drainEndSchema.safeParse(result.details);
      if (!report.success || report.data.uncordoned || !report.data.cordonedByDrain) {
        releaseNode = planned.node;
      }
    }
    await this.lifecycle.move(
      action,
      ['executing'],
      result.ok ? 'succeeded' : 'failed',
      { result, finishedAt: this.lifecycle.now(), ...(result.error ? { reason: result.error } : {}) },
      [...before, { kind: result.ok ? 'succeeded' : 'failed', message: result.summary, details: result.error }],
      releaseNode !== undefined ? { releaseNode } : {}
    );
  }
}
