import { reasonText, type AuditKind } from '../../contract/healing';
import { iso } from './lifecycle';
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

/** Where the actions awaiting approval are listed: the Actions page, from Grafana's base URL. */
export function pendingLink(grafanaUrl: string): string {
  return `${grafanaUrl.replace(/\/+$/, '')}/a/${PLUGIN_ID}/actions`;
}

/** Tells the operator something about an action, with a link to it when Grafana's URL is known. */
export type Announcer = (action: StoredAction, message: string, kind?: AuditKind) => Promise<void>;

/** The notification for an action that waits for approval. */
export function approvalRequest(action: StoredAction): string {
  const why = action.reason ? `; ${reasonText(action.reason, iso)}` : '';
  return `approval needed for action ${action.id}: ${describeAction(action.action)} (policy ${action.policy}, ${action.trigger.severity} ${action.trigger.source} ${action.trigger.id}${why})`;
}
