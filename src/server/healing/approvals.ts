import { reasonText, type AuditKind } from '../../contract/healing';
import { iso, type Lifecycle } from './lifecycle';
import type { Notifier } from './notify';
import { describeAction } from './policies';
import type { StoredAction } from './store/actionRows';

/** The app's id in Grafana (src/plugin.json): its pages live under `/a/<id>/`. */
export const PLUGIN_ID = 'failureprophet-healing-app';

/**
 * Where an action is on the Actions page, from Grafana's base URL (`FP_GRAFANA_URL`): the page
 * opens on the action named by `?action=`, so an approver lands on it and decides in Grafana,
 * where the user is recorded.
 */
export function actionLink(grafanaUrl: string, actionId: number): string {
  return `${grafanaUrl.replace(/\/+$/, '')}/a/${PLUGIN_ID}/actions?action=${actionId}`;
}

/** Tells the operator something about an action, with a link to it when Grafana's URL is known. */
export type Announcer = (action: StoredAction, message: string, kind?: AuditKind) => Promise<void>;

/** Sends through the notifier (nothing when none is configured) and audits what went where. */
export function createAnnouncer(deps: {
  lifecycle: Lifecycle;
  notifier?: Notifier;
  link?: (actionId: number) => string;
}): Announcer {
  return async (action, message, kind = 'notified') => {
    const { lifecycle, notifier, link } = deps;
    if (!notifier) {
      return;
    }
    const url = link?.(action.id);
    const text = url ? `${message}. Open it in Grafana: ${url}` : message;
    const result = await notifier.send({
      actionId: action.id,
      message: text,
      trigger: action.trigger,
      at: lifecycle.now(),
      ...(url ? { link: url } : {}),
    });
    await lifecycle.audit.append({
      at: lifecycle.now(),
      kind,
      actionId: action.id,
      triggerId: action.trigger.id,
      message: `${result.ok ? 'told the operator' : 'could not tell the operator'}: ${result.summary}`,
      details: { message: text, ...(url ? { link: url } : {}), result },
    });
  };
}

/** The notification for an action that waits for approval. */
export function approvalRequest(action: StoredAction): string {
  const why = action.reason ? `; ${reasonText(action.reason, iso)}` : '';
  return `approval needed for action ${action.id}: ${describeAction(action.action)} (policy ${action.policy}, ${action.trigger.severity} ${action.trigger.source} ${action.trigger.id}${why})`;
}
