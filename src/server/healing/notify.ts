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

export interface Notifier {
  /** Where a notification would go: the dry run of `notify`. Not ok when nothing is configured. */
  plan(): { ok: boolean; summary: string };
  send(notification: Notification): Promise<ExecutionResult>;
}

type Fetch = typeof fetch;

/** Notifications through a Grafana annotation and a webhook; either may be absent. */
export function createNotifier(config: NotifyConfig, fetchImpl: Fetch = fetch): Notifier {
  const timeoutMs = config.timeoutMs ?? 10_000;
  const clock = config.clock ?? systemClock;
  const targets = [
    config.grafana && `a Grafana annotation at ${redactUserinfo(config.grafana.url)}`,
    config.webhookUrl && `a webhook to ${new URL(config.webhookUrl).host}`,
  ].filter((t): t is string => Boolean(t));

  const post = async (
    what: string,
    url: string,
    body: unknown,
    headers: Record<string, string> = {}
  ): Promise<string | undefined> => {
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
        return `${what} answered ${response.status}${text ? `: ${text}` : ''}`;
      }
      return undefined;
    } catch (err) {
      return `${what} could not be reached: ${redactCredentialsIn(messageOf(err))}`;
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

    async send(n) {
      const tags = [
        'failureprophet',
        'healing',
        ...(n.trigger ? [n.trigger.severity] : []),
        ...(n.trigger?.labels.namespace ? [`namespace:${n.trigger.labels.namespace}`] : []),
      ];
      const failures: string[] = [];
      if (config.grafana) {
        const failed = await post(
          'Grafana',
          `${config.grafana.url.replace(/\/$/, '')}/api/annotations`,
          { time: n.at, tags, text: asPlainText(n.message) },
          {
            Authorization: `Bearer ${config.grafana.token}`,
          }
        );
        if (failed) {
          failures.push(failed);
        }
      }
      if (config.webhookUrl) {
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
        const failed = await post('the webhook', config.webhookUrl, body);
        if (failed) {
          failures.push(failed);
        }
      }
      if (targets.length === 0) {
        return {
          ok: false,
          summary: 'nothing sent: no notification target configured',
          error: { kind: 'not-configured', message: 'no notification target configured' },
        };
      }
      if (failures.length === targets.length) {
        return {
          ok: false,
          summary: failures.join('; '),
          error: { kind: 'notification', message: failures.join('; ') },
        };
      }
      return {
        ok: true,
        summary: `sent ${targets.join(' and ')}${failures.length ? ` (but ${failures.join('; ')})` : ''}`,
        details: { targets, failures },
      };
    },
  };
}
