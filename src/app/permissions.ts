import { config } from '@grafana/runtime';
import { z } from 'zod';

/** The role as Grafana's boot data names it; anything else (or none) counts as no role. */
const orgRoleSchema = z.enum(['Viewer', 'Editor', 'Admin', 'None']).catch('None');

/**
 * The signed-in user's role in the current organization. Only this counts: Grafana's plugin proxy
 * checks a route's reqRole against the org role alone (pluginproxy hasAccessToRoute:
 * `GetOrgRole().Includes(route.ReqRole)`), so a Grafana server admin who is a Viewer in this
 * organization is refused like any Viewer.
 */
function orgRole(): z.infer<typeof orgRoleSchema> {
  return orgRoleSchema.parse(config.bootData?.user?.orgRole);
}

/**
 * Whether the signed-in user may approve, reject, give feedback and retrain (the proxy routes for
 * those writes require Editor). The proxy enforces it; this only explains it before a click.
 */
export function canEdit(): boolean {
  return orgRole() === 'Editor' || orgRole() === 'Admin';
}

/** Whether the signed-in user may change the configuration (the proxy's api/admin/* routes require Admin). */
export function isAdmin(): boolean {
  return orgRole() === 'Admin';
}

export const EDITOR_ONLY_REASON = 'Only Editors and Admins can do this: your role in this organization is Viewer.';

/** Why a configuration change is disabled, naming the user's org role (a Grafana server admin included). */
export function adminOnlyReason(): string {
  const role = orgRole();
  return `Only Admins of this organization can change this: your role in it is ${role === 'None' ? 'none' : role}. You can read it here.`;
}
