import { config } from '@grafana/runtime';

type OrgRole = 'Viewer' | 'Editor' | 'Admin' | 'None';

function orgRole(): OrgRole {
  return (config.bootData?.user?.orgRole as OrgRole | undefined) ?? 'None';
}

/**
 * Whether the signed-in user may approve, reject, give feedback and retrain (the proxy routes for
 * those writes require Editor). The proxy enforces it; this only explains it before a click.
 */
export function canEdit(): boolean {
  return orgRole() === 'Editor' || orgRole() === 'Admin' || Boolean(config.bootData?.user?.isGrafanaAdmin);
}

export function isAdmin(): boolean {
  return orgRole() === 'Admin' || Boolean(config.bootData?.user?.isGrafanaAdmin);
}

export const EDITOR_ONLY_REASON = 'Only Editors and Admins can do this: your Grafana role is Viewer.';
