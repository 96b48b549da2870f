import { config } from '@grafana/runtime';
import { z } from 'zod';

/** The role as Grafana's boot data names it; anything else (or none) counts as no role. */
const orgRoleSchema = z.enum(['Viewer', 'Editor', 'Admin', 'None']).catch('None');

function orgRole(): z.infer<typeof orgRoleSchema> {
  return orgRoleSchema.parse(config.bootData?.user?.orgRole);
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
