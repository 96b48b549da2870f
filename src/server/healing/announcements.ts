import type { AuditKind, HealingTrigger, SafetyLimits } from '../../contract/healing';
import type { Lifecycle } from './lifecycle';
import type { Notifier } from './notify';
import type { StoredAction } from './store/actionRows';

const HOUR = 3_600_000;

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
 * held back, and the approval requests held back are summarised in one message with a link to the
 * pending actions, at most once per repeat interval.
 */
export class Announcements {
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
   * held back since the last summary, which is older than the repeat interval.
   */
  async summarise(): Promise<void> {
    const { lifecycle, notifier, pendingLink } = this.deps;
    if (!notifier) {
      return;
    }
    const at = lifecycle.now();
    const limits = await this.deps.limits();
    const waiting = await lifecycle.actions.takeSummary(at, at - limits.repeatIntervalSeconds * 1000);
    if (waiting === undefined) {
      return;
    }
    const message = `${waiting} more action${waiting === 1 ? '' : 's'} await${waiting === 1 ? 's' : ''} approval${pendingLink ? `: ${pendingLink}` : ''}`;
    const result = await notifier.send({
      message,
      at,
      ...(pendingLink ? { link: pendingLink } : {}),
    });
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
    await lifecycle.audit.append({
      ...entry,
      at: lifecycle.now(),
      message: `${n.label ?? ''}${result.ok ? 'told the operator' : 'could not tell the operator'}: ${result.summary}`,
      details: { message: n.text, ...link, result },
    });
  }
}
