import { z } from 'zod';
import { messageOf } from '../../utils/messageOf';
import type { ExecutionResult, HealingTrigger } from '../../contract/healing';
import { type Clock, systemClock } from '../clock';
import { asPlainText } from '../plainText';
import { answerSnippet, NO_REDIRECTS } from '../prometheus/bounded';
import { redactCredentialsIn, redactUserinfo } from '../prometheus/credentials';

export interface NotifyConfig {
  /** Grafana base URL and a service-account token: each notification becomes an annotation. */
  grafana?: { url: string; token: string };
  /** Receives a JSON body Slack's incoming webhooks accept (`text`) with the details beside it for other receivers. */
  webhookUrl?: string;
  timeoutMs?: number;
  /** Times each request out; the system's by default. */
  clock?: Pick<Clock, 'timeout'>;
}

export interface Notification {
  /** The action it is about; none for a summary (storm mode). */
  actionId?: number;
  message: string;
  /** What it is about; none for the summary of approval requests held back. */
  trigger?: HealingTrigger;
  at: number;
  /** Where to act on it: the action on Grafana's Actions page. */
  link?: string;
}

/** Where a notification goes: a Grafana annotation, the webhook. */
export const receiverSchema = z.enum(['grafana', 'webhook']);
export type Receiver = z.infer<typeof receiverSchema>;

/**
 * A receiver that did not take a notification, and whether another attempt may: as Alertmanager's
 * Retrier, a 5xx is retried and another 4xx is not (the same request would be refused again), 429
 * is (Alertmanager's Slack and other integrations add it), and so is a receiver not reached (refused
 * connection, timeout).
 */
export const receiverFailureSchema = z.object({ receiver: receiverSchema, message: z.string(), retry: z.boolean() });
export type ReceiverFailure = z.infer<typeof receiverFailureSchema>;

/** A send's result, with what each receiver did when the notifier says (one that does not is never retried). */
export interface Sent extends ExecutionResult {
  receivers?: { delivered: Receiver[]; failed: ReceiverFailure[] };
}

export interface Notifier {
  /** Where a notification would go: the dry run of `notify`. Not ok when nothing is configured. */
  plan(): { ok: boolean; summary: string };
  /** Sends to every receiver configured, or to those of `to` (a retry: not again to one that took it). */
  send(notification: Notification, to?: Receiver[]): Promise<Sent>;
}

const retried = (status: number) => status >= 500 || status === 429;

type Fetch = typeof fetch;

/** Notifications through a Grafana annotation and a webhook; either may be absent. */
export function createNotifier(config: NotifyConfig, fetchImpl: Fetch = fetch): Notifier {
  const timeoutMs = config.timeoutMs ?? 10_000;
  const clock = config.clock ?? systemClock;
  const configured: Array<{ receiver: Receiver; target: string }> = [
    ...(config.grafana
      ? [{ receiver: 'grafana' as const, target: `a Grafana annotation at ${redactUserinfo(config.grafana.url)}` }]
      : []),
    ...(config.webhookUrl
      ? [{ receiver: 'webhook' as const, target: `a webhook to ${new URL(config.webhookUrl).host}` }]
      : []),
  ];
  const targets = configured.map((c) => c.target);

  const post = async (
    receiver: Receiver,
    what: string,
    url: string,
    body: unknown,
    headers: Record<string, string> = {}
  ): Promise<ReceiverFailure | undefined> => {
    try {
      const response = await fetchImpl(url, {
        method: 'POST',
        ...NO_REDIRECTS,
        headers: { 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: clock.timeout(timeoutMs),
      });
      if (!response.ok) {
        const text = await answerSnippet(response);
        const message = `${what} answered ${response.status}${text ? `: ${text}` : ''}`;
        return { receiver, message, retry: retried(response.status) };
      }
      return undefined;
    } catch (err) {
      return { receiver, message: `${what} could not be reached: ${redactCredentialsIn(messageOf(err))}`, retry: true };
    }
  };

  return {
    plan: () =>
      targets.length
        ? { ok: true, summary: `would send ${targets.join(' and ')}` }
        : {
            ok: false,
            summary:
              'no notification target configured: set FP_GRAFANA_URL and FP_GRAFANA_TOKEN, or healing.notify.webhookUrl (FP_NOTIFY_WEBHOOK_URL)',
          },

    async send(n, to) {
      const sending = configured.filter((c) => !to || to.includes(c.receiver));
      const tags = [
        'failureprophet',
        'healing',
        ...(n.trigger ? [n.trigger.severity] : []),
        ...(n.trigger?.labels.namespace ? [`namespace:${n.trigger.labels.namespace}`] : []),
      ];
      const failed: ReceiverFailure[] = [];
      const sendsTo = (receiver: Receiver) => sending.some((c) => c.receiver === receiver);
      if (config.grafana && sendsTo('grafana')) {
        const failure = await post(
          'grafana',
          'Grafana',
          `${config.grafana.url.replace(/\/$/, '')}/api/annotations`,
          { time: n.at, tags, text: asPlainText(n.message) },
          {
            Authorization: `Bearer ${config.grafana.token}`,
          }
        );
        if (failure) {
          failed.push(failure);
        }
      }
      if (config.webhookUrl && sendsTo('webhook')) {
        const body = {
          text: `:rotating_light: Failure Prophet: ${asPlainText(n.message)}`,
          failureprophet: {
            actionId: n.actionId,
            severity: n.trigger?.severity,
            source: n.trigger?.source,
            triggerId: n.trigger?.id,
            labels: n.trigger?.labels,
            at: new Date(n.at).toISOString(),
            ...(n.link ? { link: n.link } : {}),
          },
        };
        const failure = await post('webhook', 'the webhook', config.webhookUrl, body);
        if (failure) {
          failed.push(failure);
        }
      }
      if (sending.length === 0) {
        return {
          ok: false,
          summary: 'nothing sent: no notification target configured',
          error: { kind: 'not-configured', message: 'no notification target configured' },
        };
      }
      const failures = failed.map((f) => f.message);
      const receivers = {
        delivered: sending.map((c) => c.receiver).filter((r) => !failed.some((f) => f.receiver === r)),
        failed,
      };
      if (receivers.delivered.length === 0) {
        return {
          ok: false,
          summary: failures.join('; '),
          error: { kind: 'notification', message: failures.join('; ') },
          receivers,
        };
      }
      const sentTo = sending.filter((c) => receivers.delivered.includes(c.receiver)).map((c) => c.target);
      return {
        ok: true,
        summary: `sent ${sentTo.join(' and ')}${failures.length ? ` (but ${failures.join('; ')})` : ''}`,
        details: { targets: sending.map((c) => c.target), failures },
        receivers,
      };
    },
  };
}
