import { iso } from './lifecycle';
import type { StoredAction } from './store/actionRows';

/**
 * How a cordon or drain names itself on the node its cordon's PATCH marks (CORDONED_BY): its id and
 * when it was created. The id alone does not single it out: a store made afresh numbers actions from 1
 * again, and `kubectl uncordon` leaves the annotation behind, so an operator's later cordon of that node
 * would read as a new action's own, and be undone by it.
 */
export const cordonOwner = (action: Pick<StoredAction, 'id' | 'createdAt'>): string =>
  `${action.id}@${iso(action.createdAt)}`;
