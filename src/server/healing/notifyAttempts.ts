import { z } from 'zod';
import type { ExecutionResult } from '../../contract/healing';
import type { EngineContext } from './context';
import { notConfigured, type ExecutionRecords } from './executionRecords';
import { iso } from './lifecycle';
import { receiverFailureSchema, receiverSchema, type Receiver } from './notify';
import type { StoredAction } from './store/actionRows';

/**
 * How often one notify action is sent at most, and how long after its nth failed attempt the next
 * goes: 10 s, doubling. Alertmanager retries a failed notification with exponential back-off until
 * its deadline, the group's interval (5 min by default), then leaves it to the group's next flush;
 * a notify action has no next flush, so its five attempts end 150 s (and a tick or so) after the
 * first: well inside that deadline, and soon enough that the operator, told nothing, sees a failed
 * action rather than one that keeps waiting.
 */
export const NOTIFY_ATTEMPTS = 5;
const FIRST_RETRY_MS = 10_000;
export const retryDelayMs = (attempt: number): number => FIRST_RETRY_MS * 2 ** (attempt - 1);

/** One attempt as its audit entry records it: read back from the log, so every replica and restart counts the same attempts. */
const attemptSchema = z.object({
  attempt: z.number().int().positive(),
  delivered: z.array(receiverSchema),
  failed: z.array(receiverFailureSchema),
  /** Left in flight by a stopped process, sending to `to` (absent: every receiver): it reached whom it reached, unknown. */
  interrupted: z.object({ to: z.array(receiverSchema).optional() }).optional(),
});
type Attempt = z.infer<typeof attemptSchema>;

/**
 * The attempts made so far: how many, when the last was, the receivers any took it, and those the
 * next one goes to (undefined: every receiver configured, as for a first attempt).
 */
interface Attempts {
  made: number;
  lastAt?: number;
  delivered: Receiver[];
  retry?: Receiver[];
}

/** What the next attempt after `attempt` sends to: those it failed for and may try again, or all it was sending to when interrupted. */
const retriedAfter = (attempt: Attempt): Receiver[] | undefined =>
  attempt.interrupted ? attempt.interrupted.to : attempt.failed.filter((f) => f.retry).map((f) => f.receiver);

/** How an attempt ended, for the record and what comes after it. */
interface Ending {
  /** The audit entry's words after `attempt n of 5: `. */
  said: string;
  /** Why another attempt may cure it (the next goes after the back-off while the budget lasts); none: the last. */
  retryFor?: string;
  /** Someone may have been told: it keeps its start (what the repeat interval and the hourly cap count). */
  keepsStart: boolean;
  result: ExecutionResult;
  /** How long the send took; unknown for one a stopped process left. */
  seconds?: number;
}

/**
 * Sends a claimed notify action, and retries it with back-off while a receiver fails in a way
 * another attempt may cure, only to the receivers that did not take it (as Alertmanager retries each
 * integration of a receiver on its own). Between attempts the action is `approved` again with a
 * `notification` reason saying when it is tried again; each attempt is claimed as any execution is,
 * so one replica sends it, and audited with what each receiver did. An attempt that reached no one
 * gives its start back: a failed send takes neither the repeat interval nor a share of `maxPerHour`,
 * and the retry is metered again when it is claimed. One that reached a receiver keeps it: someone
 * was told. An attempt a stopped process left in flight counts as one, and is retried the same way
 * (`interrupted`).
 */
export class NotifyAttempts {
  constructor(
    private readonly ctx: EngineContext,
    private readonly records: ExecutionRecords
  ) {}

  /** True while a notify action waits out its back-off after a failed attempt. */
  async backingOff(action: StoredAction): Promise<boolean> {
    if (action.action.type !== 'notify') {
      return false;
    }
    const { made, lastAt } = await this.attempts(action.id);
    return lastAt !== undefined && this.ctx.lifecycle.now() < lastAt + retryDelayMs(made);
  }

  /** Sends a claimed (executing) notify action once more, then waits for the next attempt or records its outcome. */
  async attempt(action: StoredAction): Promise<void> {
    const { lifecycle, deps } = this.ctx;
    const planned = action.action;
    if (planned.type !== 'notify') {
      return;
    }
    const startedAt = lifecycle.now();
    if (!deps.notifier) {
      lifecycle.metrics.executed(planned.type, false, 0);
      await this.records.finish(action, notConfigured('notifications are'));
      return;
    }
    const before = await this.attempts(action.id);
    const sent = await deps.notifier.send(
      { actionId: action.id, message: planned.message, trigger: action.trigger, at: startedAt },
      before.retry
    );
    const { receivers, ...result } = sent;
    const record: Attempt = {
      attempt: before.made + 1,
      delivered: receivers?.delivered ?? [],
      failed: receivers?.failed ?? [],
    };
    const retry = record.failed.filter((f) => f.retry);
    const told = sent.ok || before.delivered.length > 0;
    await this.ended(action, before, record, {
      said: `${sent.ok ? 'told the operator' : 'could not tell the operator'}: ${sent.summary}`,
      ...(retry.length > 0 ? { retryFor: retry.map((f) => f.message).join('; ') } : {}),
      keepsStart: told,
      result,
      seconds: (lifecycle.now() - startedAt) / 1000,
    });
  }

  /**
   * The attempt a stopped process left in flight (the action still executing, claimed by this one
   * now): counted as made, and retried as a failed one is, to the receivers it was sending to, with
   * the same back-off, within the same five. It may have been delivered: as Alertmanager, whose
   * notification pipeline records a send in its notification log only after the integration took it
   * (prometheus/alertmanager notify/notify.go: createReceiverStage runs DedupStage, RetryStage, then
   * SetNotifiesStage, "the passed alerts should have already been sent"; nflog/nflog.go's Log keeps
   * it in memory until the next snapshot), a notification cut short is sent again: at least once, at
   * most five times. It keeps its start, since someone may have been told.
   */
  async interrupted(action: StoredAction): Promise<void> {
    if (action.action.type !== 'notify') {
      return;
    }
    const before = await this.attempts(action.id);
    const to = before.retry;
    const what = `the backend stopped while sending it${to ? ` to ${receiverNames(to)}` : ''}; it may or may not have been delivered`;
    const record: Attempt = { attempt: before.made + 1, delivered: [], failed: [], interrupted: to ? { to } : {} };
    await this.ended(action, before, record, {
      said: `interrupted: ${what}`,
      retryFor: what,
      keepsStart: true,
      result: { ok: false, summary: what, error: { kind: 'notification', message: what } },
    });
  }

  /** Records attempt `record.attempt`: approved again until the next one after the back-off, or the action's outcome when it was the last. */
  private async ended(action: StoredAction, before: Attempts, record: Attempt, ending: Ending): Promise<void> {
    const { lifecycle } = this.ctx;
    const made = record.attempt;
    const said = `attempt ${made} of ${NOTIFY_ATTEMPTS}: ${ending.said}`;
    if (ending.retryFor !== undefined && made < NOTIFY_ATTEMPTS) {
      const next = lifecycle.now() + retryDelayMs(made);
      const message = `${ending.retryFor}: tried again at ${iso(next)} (attempt ${made + 1} of ${NOTIFY_ATTEMPTS})`;
      await lifecycle.move(
        action,
        ['executing'],
        'approved',
        // Nobody told yet: it gives its start back (started_at is what the repeat interval and the hourly cap count).
        { reason: { kind: 'notification', message }, ...(ending.keepsStart ? {} : { startedAt: null }) },
        [{ kind: 'notified', message: `${said}; tried again at ${iso(next)}`, details: record }]
      );
      return;
    }
    const result = outcome(ending.result, made, before.delivered);
    if (ending.seconds !== undefined) {
      lifecycle.metrics.executed(action.action.type, result.ok, ending.seconds);
    }
    // The last attempt and the outcome in one write: a stop between the two would leave the action
    // executing with its budget spent, and count one attempt more when recovered.
    await this.records.finish(action, result, [{ kind: 'notified', message: said, details: record }]);
  }

  private async attempts(actionId: number): Promise<Attempts> {
    const { items } = await this.ctx.lifecycle.audit.list({
      actionId,
      kind: ['notified'],
      limit: NOTIFY_ATTEMPTS,
      offset: 0,
      format: 'json',
    });
    // Newest first.
    const made = items.flatMap((entry) => {
      const parsed = attemptSchema.safeParse(entry.details);
      return parsed.success ? [{ at: entry.at, ...parsed.data }] : [];
    });
    const [last] = made;
    return {
      made: last?.attempt ?? 0,
      lastAt: last?.at,
      delivered: [...new Set(made.flatMap((a) => a.delivered))],
      ...(last ? { retry: retriedAfter(last) } : {}),
    };
  }
}

const RECEIVER_NAMES: Record<Receiver, string> = { grafana: 'Grafana', webhook: 'the webhook' };
const receiverNames = (receivers: Receiver[]) => receivers.map((r) => RECEIVER_NAMES[r]).join(' and ');

/** The action's result after its last attempt: succeeded when any attempt told someone. */
function outcome(last: ExecutionResult, made: number, deliveredBefore: Receiver[]): ExecutionResult {
  const after = made > 1 ? ` (attempt ${made} of ${NOTIFY_ATTEMPTS})` : '';
  if (last.ok) {
    return { ...last, summary: `${last.summary}${after}` };
  }
  if (deliveredBefore.length > 0) {
    // An earlier attempt reached a receiver; this one was only for the others.
    const took = receiverNames(deliveredBefore);
    return { ok: true, summary: `${took} took it in an earlier attempt, but ${last.summary}${after}` };
  }
  const summary = `${last.summary}${after}`;
  return { ...last, summary, error: { ...(last.error ?? { kind: 'notification' }), message: summary } };
}
