import { reasonText, type Action, type ActionState } from '../../contract/healing';
import type { EngineContext } from './context';
import { dryRunAction } from './dryRun';
import { iso, type AuditNote } from './lifecycle';
import { checkLimits, limitWindow } from './limits';
import { describeAction } from './policies';
import { withdraw } from './policyChange';
import { nextTurn } from '../../utils/nextTurn';
import type { ActionChanges } from './store/actionRows';

export type DecisionOutcome =
  { ok: true; action: Action } | { ok: false; kind: 'not-found' | 'conflict' | 'expired'; message: string };

const dryRunNote = (record: { summary: string }): AuditNote => ({
  kind: 'dry_run',
  message: record.summary,
  details: record,
});

/** The gates: a proposal's limits and dry run, then auto, approve (until decided or expired) or dry-run. */
export class Gates {
  /** When the policies the last sweep read were saved; a sweep reads the proposals again only after an Admin saves them. */
  private swept?: { at: number | undefined };

  constructor(private readonly ctx: EngineContext) {}

  /**
   * Checks the limits, dry-runs and applies the policy's gate to a proposed action. Also run by a
   * tick for a proposal a stopped process left half-way. True when the gate approved it (auto).
   */
  async gate(id: number): Promise<boolean> {
    const { lifecycle, settings, deps } = this.ctx;
    const action = await lifecycle.actions.get(id);
    if (action?.state !== 'proposed') {
      return false;
    }
    const limits = (await settings.limits()).limits;
    const now = lifecycle.now();
    const facts = await lifecycle.actions.limitFacts(action, limitWindow(limits, now));
    const refusal = checkLimits(action, limits, facts, now, 'proposal');
    if (refusal) {
      await lifecycle.block(action, ['proposed'], refusal);
      return false;
    }
    if (await withdraw(this.ctx, action, limits)) {
      return false;
    }
    const dry = await dryRunAction(
      action.action,
      action.target,
      lifecycle.now(),
      this.ctx.kube(),
      deps.notifier,
      await this.ctx.holds.evictions(action, limits)
    );
    const refused = dry.noop ?? dry.record.error;
    if (refused) {
      await lifecycle.move(
        action,
        ['proposed'],
        'blocked',
        { dryRun: dry.record, reason: refused, finishedAt: lifecycle.now() },
        [dryRunNote(dry.record), { kind: 'blocked', message: refused.message }]
      );
      return false;
    }
    // Circuit breaker (issue 17): on a target that keeps needing the fix, `auto` waits for a person.
    const held = action.gate === 'auto' ? await this.ctx.breakers.hold(action, limits) : undefined;
    const at = lifecycle.now();
    const changes: ActionChanges = { dryRun: dry.record, action: dry.pinned, ...(held ? { reason: held } : {}) };
    switch (held ? 'approve' : action.gate) {
      case 'dry-run':
        await lifecycle.move(action, ['proposed'], 'dry_run', { ...changes, finishedAt: at }, [dryRunNote(dry.record)]);
        return false;
      case 'approve': {
        // The policy as it is now; a proposal outliving its policy takes the default timeout.
        const policy = (await settings.policies()).policies.find((p) => p.name === action.policy);
        const expiresAt = at + (policy?.approvalTimeoutSeconds ?? limits.approvalTimeoutSeconds) * 1000;
        await lifecycle.move(action, ['proposed'], 'awaiting_approval', { ...changes, expiresAt }, [
          dryRunNote(dry.record),
          ...(held ? [{ kind: 'waiting' as const, message: reasonText(held, iso) }] : []),
        ]);
        return false;
      }
      case 'auto': {
        const held = await this.ctx.holds.refusal(action);
        if (held) {
          const policy = (await settings.policies()).policies.find((p) => p.name === action.policy);
          const expiresAt = at + (policy?.approvalTimeoutSeconds ?? limits.approvalTimeoutSeconds) * 1000;
          await lifecycle.move(action, ['proposed'], 'awaiting_approval', { ...changes, expiresAt, reason: held }, [
            dryRunNote(dry.record),
            { kind: 'waiting', message: `gate auto waits for approval: ${reasonText(held, iso)}` },
          ]);
          return false;
        }
        const decisions = [{ decision: 'approved' as const, user: `(policy ${action.policy}, gate auto)`, at }];
        return lifecycle.move(action, ['proposed'], 'approved', { ...changes, decisions }, [
          dryRunNote(dry.record),
          { kind: 'approved', message: `approved automatically by policy ${action.policy}`, user: decisions[0].user },
        ]);
      }
    }
  }

  /**
   * An Editor's decision; of simultaneous ones (on any replica) exactly one wins: the move is
   * conditional on the action still awaiting approval, and the others are told who decided.
   */
  async decide(
    id: number,
    decision: 'approved' | 'rejected',
    user: string,
    comment?: string
  ): Promise<DecisionOutcome> {
    const { lifecycle } = this.ctx;
    const now = lifecycle.now();
    const action = await lifecycle.actions.get(id);
    if (!action) {
      return { ok: false, kind: 'not-found', message: `there is no action ${id}` };
    }
    if (action.state === 'awaiting_approval' && action.expiresAt !== undefined && action.expiresAt <= now) {
      await this.expire(id);
      return {
        ok: false,
        kind: 'expired',
        message: `action ${id} expired before it was approved or rejected; nothing will run`,
      };
    }
    if (decision === 'approved' && action.state === 'awaiting_approval') {
      const withdrawn = await withdraw(this.ctx, action, (await this.ctx.settings.limits()).limits);
      if (withdrawn) {
        return { ok: false, kind: 'conflict', message: `action ${id} cannot be approved: ${withdrawn.message}` };
      }
    }
    const decisions = [...action.decisions, { decision, user, ...(comment ? { comment } : {}), at: now }];
    const to: ActionState = decision;
    const moved =
      action.state === 'awaiting_approval' &&
      (await lifecycle.move(
        action,
        ['awaiting_approval'],
        to,
        { decisions, ...(decision === 'rejected' ? { finishedAt: now } : {}) },
        [{ kind: decision, message: `${user} ${decision} ${describeAction(action.action)}`, user, comment }]
      ));
    if (!moved) {
      // Decided meanwhile, here or on another replica: say by whom, from the row as it is now.
      const current = (await lifecycle.actions.get(id)) ?? action;
      const last = current.decisions[current.decisions.length - 1];
      const by = last ? ` (${last.decision} by ${last.user} at ${iso(last.at)})` : '';
      // Withdrawn meanwhile (a policy change, a false positive): the approver is told why.
      const why = current.state === 'cancelled' && current.reason ? `: ${reasonText(current.reason, iso)}` : '';
      return {
        ok: false,
        kind: 'conflict',
        message: `action ${id} is ${current.state}${by}${why}; only an action awaiting approval can be ${decision}`,
      };
    }
    if (decision === 'approved') {
      this.ctx.kick();
    }
    return { ok: true, action: await lifecycle.get(id) };
  }

  /** Withdraws the proposals awaiting approval that the policies, as an Admin changed them, no longer stand behind. */
  async sweep(): Promise<void> {
    const { lifecycle, settings } = this.ctx;
    const { updatedAt } = await settings.policies();
    if (this.swept && this.swept.at === updatedAt) {
      return;
    }
    this.swept = { at: updatedAt };
    const limits = (await settings.limits()).limits;
    for (const id of await lifecycle.actions.idsInState('awaiting_approval')) {
      const action = await lifecycle.actions.get(id);
      if (action?.state === 'awaiting_approval') {
        await withdraw(this.ctx, action, limits);
      }
      await nextTurn();
    }
  }

  async expire(id: number): Promise<void> {
    const { lifecycle } = this.ctx;
    const action = await lifecycle.actions.get(id);
    if (action?.state === 'awaiting_approval') {
      const waited = Math.round(((action.expiresAt ?? 0) - action.createdAt) / 1000);
      await lifecycle.move(action, ['awaiting_approval'], 'expired', { finishedAt: lifecycle.now() }, [
        { kind: 'expired', message: `nobody approved or rejected ${describeAction(action.action)} within ${waited}s` },
      ]);
    }
  }
}
