import type { Action, ActionState, PlannedAction } from '../../../contract/healing';

// Not 'darkgrey': its text fails WCAG AA contrast in the light theme.
type BadgeColor = 'blue' | 'red' | 'green' | 'orange' | 'purple';

export const STATE_LABEL: Record<ActionState, { text: string; color: BadgeColor }> = {
  proposed: { text: 'Proposed', color: 'blue' },
  awaiting_approval: { text: 'Awaiting approval', color: 'orange' },
  approved: { text: 'Approved', color: 'blue' },
  rejected: { text: 'Rejected', color: 'purple' },
  expired: { text: 'Expired', color: 'purple' },
  dry_run: { text: 'Dry run', color: 'purple' },
  blocked: { text: 'Blocked', color: 'red' },
  cancelled: { text: 'Cancelled', color: 'purple' },
  superseded: { text: 'Superseded', color: 'purple' },
  executing: { text: 'Executing', color: 'blue' },
  succeeded: { text: 'Succeeded', color: 'green' },
  failed: { text: 'Failed', color: 'red' },
  verified: { text: 'Verified: recovered', color: 'green' },
  not_recovered: { text: 'Not recovered', color: 'red' },
};

/** "Scale deployment shop/cart to 5", in words. */
export function describeAction(action: PlannedAction, target: string): string {
  switch (action.type) {
    case 'scale':
      return action.replicas !== undefined
        ? `Scale ${target} to ${action.replicas} replicas`
        : `Scale ${target} by ${action.delta ?? 1}`;
    case 'restart':
      return `Rolling restart of ${target}`;
    case 'delete-pod':
      return `Delete pod ${action.namespace}/${action.name}`;
    case 'cordon':
      return `Cordon node ${action.node}`;
    case 'uncordon':
      return `Uncordon node ${action.node}`;
    case 'drain':
      return `Drain node ${action.node}`;
    case 'notify':
      return `Notify: ${action.message}`;
  }
}

export function triggerText(action: Action): string {
  const t = action.trigger;
  const what = t.summary ?? (t.source === 'alert' ? `alert ${t.watch ?? t.id}` : `anomaly on ${t.watch ?? 'a watch'}`);
  return `${t.severity} ${t.source}: ${what}`;
}
