import type Database from 'better-sqlite3';
import type { ActionState, AuditKind, Reason } from '../../contract/healing';
import type { HealingMetrics } from './metrics';
import type { ActionChanges, ActionRepository, StoredAction } from './store/actions';
import type { AuditRepository } from './store/audit';

export interface AuditNote {
  kind: AuditKind;
  message: string;
  user?: string;
  comment?: string;
  details?: unknown;
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** Told of every state an action entered, after it is stored (ladders, outcomes, approval requests). */
export type StateObserver = (action: StoredAction, from: ActionState) => void;

/**
 * State changes of the action lifecycle: each a conditional update with its audit entries in one
 * transaction, so of two concurrent callers exactly one moves the action and is told so.
 */
export class Lifecycle {
  constructor(
    readonly db: Database.Database,
    readonly actions: ActionRepository,
    readonly audit: AuditRepository,
    readonly metrics: HealingMetrics,
    readonly now: () => number,
    private readonly observe: StateObserver = () => undefined
  ) {}

  move(
    action: StoredAction,
    from: ActionState[],
    to: ActionState,
    changes: ActionChanges,
    notes: AuditNote[]
  ): boolean {
    const moved = this.db.transaction(() => {
      const at = this.now();
      if (!this.actions.transition(action.id, from, to, at, changes)) {
        return false;
      }
      for (const note of notes) {
        this.audit.append({ at, actionId: action.id, triggerId: action.trigger.id, ...note });
      }
      return true;
    })();
    if (moved) {
      this.metrics.entered(action.action.type, to);
      if (to === 'blocked' && changes.reason) {
        this.metrics.refused(changes.reason.kind);
      }
      this.observe(this.get(action.id), action.state);
    }
    return moved;
  }

  block(action: StoredAction, from: ActionState[], reason: Reason): boolean {
    return this.move(action, from, 'blocked', { reason, finishedAt: this.now() }, [
      { kind: 'blocked', message: reason.message },
    ]);
  }

  get(id: number): StoredAction {
    const action = this.actions.get(id);
    if (!action) {
      throw new Error(`action ${id} vanished from the store`);
    }
    return action;
  }
}
