import type { AuditKind, HealingTrigger, SafetyLimits } from '../../contract/healing';
import type { Lifecycle } from './lifecycle';
import type { Notifier } from './notify';
import type { StoredAction } from './store/actionRows';

const HOUR = 3_600_000;
const MINUTE = 60_000;

/**
 * How long after its nth failure in a row a summary is tried again: a minute, doubling, at most an
 * hour. Alertmanager retries a failed notification with exponential back-off and, once its deadline
 * passes, at the group's next flush; a forgotten summary would otherwise be tried at every tick
 * (seconds apart) for as long as the receiver is down.
 */
const summaryBackoffMs = (failures: number): number => Math.min(MINUTE * 2 ** (failures - 1), HOUR);

export interface AnnouncementsDeps {
  lifecycle: Lifecycle;
  notifier?: Notifier;
  limits: () => Promise<SafetyLimits['notifications']>;
  /** An action on Grafana's Actions page. */
  link?: (actionId: number) => string;
  /** The Actions page, where the actions awaiting approval are listed: the summary's link. */
  pendingLink?: string;
}

/**
 * What the engine tells people outside `notify` actions: approval requests, breaker and storm
 * announcements. They share the notifications' hourly cap with the notify actions (one budget for
 * everything sent to a person, counted in the store across replicas); one past it is audited as
 * held back, one whose send failed is audited so and then counts as held back, and the approval
 * requests held back are summarised in one message with a link to the pending actions, at most once
 * per repeat interval and under the same cap.
 */
export class Announcements {
  /**
   * The failed summaries in a row, and when the next may be tried. Kept by the leader that ticks: a
   * new leader tries at once, which is one more attempt, not a flood.
   */
  private summaryRetry = { failures: 0, notBefore: 0 };

  constructor(private readonly deps: AnnouncementsDeps) {}

  /** Tells the operator about an action (its link when Grafana's URL is known), or holds it back; audited either way. */
  readonly announce = async (action: StoredAction, message: string, kind: AuditKind = 'notified'): Promise<void> => {
    const url = this.deps.link?.(action.id);
    const text = url ? `${message}. Open it in Grafana: ${url}` : message;
    await this.send({ actionId: action.id, trigger: action.trigger, text, kind, ...(url ? { url } : {}) });
  };

  /** The summary that a storm began; not about one action. */
  async storm(message: string, trigger: HealingTrigger): Promise<void> {
    await this.send({ trigger, text: message, kind: 'notified', label: 'storm summary: ' });
  }

  /**
   * Sends the summary of the approval requests held back when one is due (the leader's tick): one
   * held back since the last summary still awaits approval, that summary is older than the repeat
   * interval, and the hourly cap has room (checked by reading only: most ticks write nothing). With the cap full it is neither sent nor recorded: a later tick sends it once there
   * is room (the requests it counts were each audited as held back). One that could not be sent is
   * forgotten and tried again after a back-off.
   */
  async summarise(): Promise<void> {
    const { lifecycle, notifier, pendingLink } = this.deps;
    const at = lifecycle.now();
    if (!notifier || at < this.summaryRetry.notBefore) {
      return;
    }
    const limits = await this.deps.limits();
    const taken = await lifecycle.actions.takeSummary({
      at,
      since: at - limits.repeatIntervalSeconds * 1000,
      hourSince: at - HOUR,
      cap: limits.maxPerHour,
    });
    if (taken === undefined) {
      return;
    }
    const { waiting } = taken;
    const message = `${waiting} more action${waiting === 1 ? '' : 's'} await${waiting === 1 ? 's' : ''} approval${pendingLink ? `: ${pendingLink}` : ''}`;
    const result = await notifier.send({
      message,
      at,
      ...(pendingLink ? { link: pendingLink } : {}),
    });
    if (result.ok) {
      this.summaryRetry = { failures: 0, notBefore: 0 };
    } else {
      await lifecycle.actions.unsentAnnouncement(taken.id);
      const failures = this.summaryRetry.failures + 1;
      this.summaryRetry = { failures, notBefore: lifecycle.now() + summaryBackoffMs(failures) };
    }
    await lifecycle.audit.append({
      at: lifecycle.now(),
      kind: 'notified',
      message: `approval summary: ${result.ok ? 'told the operator' : 'could not tell the operator'}: ${result.summary}`,
      details: { message, waiting, result },
    });
  }

  private async send(n: {
    actionId?: number;
    trigger: HealingTrigger;
    text: string;
    kind: AuditKind;
    url?: string;
    label?: string;
  }): Promise<void> {
    const { lifecycle, notifier } = this.deps;
    if (!notifier) {
      return;
    }
    const cap = (await this.deps.limits()).maxPerHour;
    const at = lifecycle.now();
    const taken = await lifecycle.actions.takeAnnouncement({
      at,
      hourSince: at - HOUR,
      cap,
      ...(n.actionId !== undefined ? { actionId: n.actionId } : {}),
    });
    const link = n.url ? { link: n.url } : {};
    const entry = { kind: n.kind, actionId: n.actionId, triggerId: n.trigger.id };
    if (!taken.sent) {
      await lifecycle.audit.append({
        ...entry,
        at,
        message: `${n.label ?? ''}held back: ${taken.sentLastHour} notifications went out in the last hour; the limit is ${cap} (notifications.maxPerHour)`,
        details: { message: n.text, ...link, heldBack: true },
      });
      return;
    }
    const result = await notifier.send({ actionId: n.actionId, message: n.text, trigger: n.trigger, at, ...link });
    if (!result.ok) {
      // It told no one: it gives its share of the cap back, and an approval request counts in the next summary.
      await lifecycle.actions.unsentAnnouncement(taken.id);
    }
    await lifecycle.audit.append({
      ...entry,
      at: lifecycle.now(),
      message: `${n.label ?? ''}${result.ok ? 'told the operator' : 'could not tell the operator'}: ${result.summary}`,
      details: { message: n.text, ...link, result },
    });
  }
}
