import type { ActionState, HealingTrigger, Reason } from '../../contract/healing';
import type { FeedbackKind } from '../../contract/pipeline';
import type { HealingEngineDeps } from './context';
import { iso, type Lifecycle } from './lifecycle';
import { describeAction } from './policies';
import { OPEN_STATES, triggerKey, type StoredAction } from './store/actionRows';
import type { TriggerRecord } from './store/repositories';

// An operator's "false positive" on an anomaly stops healing acting on it: what its trigger proposed
// and has not started is withdrawn, and it proposes nothing more (no ladder step, no proposal again)
// until an operator confirms the anomaly. The mark is read from the store, where every replica
// finds it whichever one took the feedback; healing's own verification never counts as an operator.

/** One operator's word on an anomaly. */
export interface OperatorFeedback {
  kind: FeedbackKind;
  user: string;
  at: number;
}

/** What operators said of an anomaly, latest first; healing's own verification is not among it. */
export type OperatorFeedbackReader = (anomalyId: number) => Promise<OperatorFeedback[]>;

/** The standing mark on a trigger: its anomaly's latest operator feedback, when that says false positive. */
export async function falsePositiveMark(
  read: OperatorFeedbackReader | undefined,
  trigger: HealingTrigger
): Promise<OperatorFeedback | undefined> {
  if (!read || trigger.source !== 'anomaly') {
    return undefined;
  }
  const [latest] = await read(trigger.id);
  return latest?.kind === 'false_positive' ? latest : undefined;
}

/** The mark in words: "alice marked anomaly 10 a false positive". */
export const markedBy = (trigger: HealingTrigger, mark: OperatorFeedback) =>
  `${mark.user} marked anomaly ${trigger.id} a false positive`;

/** Why an action of a marked anomaly will not run. */
export const falsePositiveReason = (action: StoredAction, mark: OperatorFeedback): Reason => ({
  kind: 'false-positive',
  message: `${markedBy(action.trigger, mark)}: ${describeAction(action.action)} will not run`,
});

const WITHDRAWABLE: ActionState[] = ['proposed', 'awaiting_approval', 'approved'];

/** Not started yet: a drain paused half-way is `approved` again but has started, and finishes. */
const notStarted = (action: StoredAction) => WITHDRAWABLE.includes(action.state) && action.startedAt === undefined;

/** Why an action must not go on (with who marked its anomaly), or undefined when it may. */
export async function falsePositiveRefusal(
  deps: Pick<HealingEngineDeps, 'operatorFeedback'>,
  action: StoredAction
): Promise<{ reason: Reason; user: string } | undefined> {
  if (!notStarted(action)) {
    return undefined;
  }
  const mark = await falsePositiveMark(deps.operatorFeedback, action.trigger);
  return mark && { reason: falsePositiveReason(action, mark), user: mark.user };
}

export interface OperatorFeedbackDeps {
  lifecycle: Lifecycle;
  read: OperatorFeedbackReader;
  /** Proposes a withdrawn action again in its place (its policy, its ladder step, its gate); says what it did. */
  reinstate: (withdrawn: StoredAction) => Promise<string>;
  /** Escalates a ladder step that did not recover while the mark stood (the ladder's entry says what it did). */
  escalate: (notRecovered: StoredAction) => Promise<void>;
  /** Hands the open trigger in again: what its matching policies propose now. Returns the new action ids. */
  retake: (trigger: HealingTrigger) => Promise<number[]>;
}

/** What healing does once an operator's feedback on an anomaly is stored, on the replica that took it. */
export class OperatorFeedbackHandler {
  constructor(private readonly deps: OperatorFeedbackDeps) {}

  async heard(anomalyId: number): Promise<void> {
    const { lifecycle, read } = this.deps;
    const key = triggerKey({ source: 'anomaly', id: anomalyId });
    const record = await lifecycle.actions.trigger(key);
    if (!record) {
      return;
    }
    // The store's word rather than the event's: of two marks given at once, the later stands.
    const [latest, before] = await read(anomalyId);
    if (latest?.kind === 'false_positive') {
      await this.withdrawAll(record.trigger, key, latest);
    } else if (latest?.kind === 'confirmed' && before?.kind === 'false_positive') {
      await this.resume(record, key, latest);
    }
  }

  private async withdrawAll(trigger: HealingTrigger, key: string, mark: OperatorFeedback): Promise<void> {
    const { lifecycle } = this.deps;
    const withdrawn: number[] = [];
    const left: StoredAction[] = [];
    for (const action of await lifecycle.actions.ofTrigger(key)) {
      const outcome = await this.withdraw(action, mark);
      if (outcome === 'withdrawn') {
        withdrawn.push(action.id);
      } else if (outcome) {
        left.push(outcome);
      }
    }
    const parts = [
      withdrawn.length ? `withdrew ${withdrawn.map((id) => `action ${id}`).join(', ')}` : 'nothing to withdraw',
      ...left.map((a) => `action ${a.id} (${describeAction(a.action)}) has started and is left to finish`),
      'nothing more is proposed for it unless an operator marks it confirmed',
    ];
    await lifecycle.audit.append({
      at: lifecycle.now(),
      kind: 'feedback',
      triggerId: trigger.id,
      user: mark.user,
      message: `${markedBy(trigger, mark)}: ${parts.join('; ')}`,
      details: { feedback: mark.kind, withdrawn, left: left.map((a) => a.id) },
    });
  }

  /**
   * Cancels an action that has not started; one that moved meanwhile is read again and judged as it
   * is now (states only move on). The action as it is when it has started; undefined when it ended.
   */
  private async withdraw(found: StoredAction, mark: OperatorFeedback): Promise<'withdrawn' | StoredAction | undefined> {
    const { lifecycle } = this.deps;
    for (let action = found as StoredAction | undefined; action; action = await lifecycle.actions.get(action.id)) {
      if (!OPEN_STATES.includes(action.state)) {
        return undefined;
      }
      if (!notStarted(action)) {
        return action;
      }
      const reason = falsePositiveReason(action, mark);
      const cancelled = await lifecycle.move(
        action,
        [action.state],
        'cancelled',
        { reason, finishedAt: lifecycle.now() },
        [{ kind: 'cancelled', message: reason.message, user: mark.user }]
      );
      if (cancelled) {
        return 'withdrawn';
      }
    }
    return undefined;
  }

  /** Confirmed after a false positive: what was withdrawn is proposed again, stopped ladders go on, new proposals follow. */
  private async resume(record: TriggerRecord, key: string, mark: OperatorFeedback): Promise<void> {
    const { lifecycle } = this.deps;
    const { trigger } = record;
    const said: string[] = [];
    if (record.closedAt !== undefined) {
      said.push(`the anomaly closed at ${iso(record.closedAt)}, so nothing is proposed again`);
    } else {
      const actions = await lifecycle.actions.ofTrigger(key);
      const withdrawn = actions.filter((a) => a.state === 'cancelled' && a.reason?.kind === 'false-positive');
      for (const action of withdrawn) {
        said.push(`action ${action.id} ${await this.deps.reinstate(action)}`);
      }
      const escalated = new Set(actions.flatMap((a) => a.ladder?.previous.map((p) => p.actionId) ?? []));
      const stopped = actions.filter(
        (a) => a.state === 'not_recovered' && a.ladder && a.ladder.step < a.ladder.steps && !escalated.has(a.id)
      );
      for (const action of stopped) {
        await this.deps.escalate(action);
      }
      const proposed = await this.deps.retake(trigger);
      if (proposed.length) {
        said.push(`proposed ${proposed.map((id) => `action ${id}`).join(', ')}`);
      }
    }
    await lifecycle.audit.append({
      at: lifecycle.now(),
      kind: 'feedback',
      triggerId: trigger.id,
      user: mark.user,
      message: `${mark.user} marked anomaly ${trigger.id} confirmed after it was marked a false positive: healing acts on it again${said.length ? `; ${said.join('; ')}` : ''}`,
      details: { feedback: mark.kind },
    });
  }
}
