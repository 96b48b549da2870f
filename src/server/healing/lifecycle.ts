import { reasonText, type ActionState, type AuditKind, type Reason } from '../../contract/healing';
import type { HealingMetrics } from './metrics';
import type { ActionChanges, StoredAction } from './store/actionRows';
import type {
  ActionRepository,
  AuditRepository,
  ClaimDecision,
  LimitFacts,
  LimitWindow,
  NewAuditEntry,
} from './store/repositories';

/** What an audit entry about an action says; `details` is any JSON value (the entry's `details`). */
export interface AuditNote {
  kind: AuditKind;
  message: string;
  user?: string;
  comment?: string;
  details?: NewAuditEntry['details'];
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** Told of every state an action entered, after it is stored (ladders, outcomes, approval requests). */
export type StateObserver = (action: StoredAction, before: StoredAction) => Promise<void>;

/** What a claim decides, with audit notes about the action instead of whole entries. */
export type Claim =
  | {
      to: 'executing' | 'blocked';
      changes: ActionChanges;
      notes: AuditNote[];
      holdNode?: string;
      /** The one action whose hold of `holdNode` this claim may take over (a finished holder); any other refuses it. */
      takesOver?: number;
    }
  | undefined;

/**
 * State changes of the action lifecycle: each a conditional update with its audit entries in one
 * transaction of the store, so of two concurrent callers (in this process or another) exactly one
 * moves the action and is told so.
 */
export class Lifecycle {
  constructor(
    readonly actions: ActionRepository,
    readonly audit: AuditRepository,
    readonly metrics: HealingMetrics,
    readonly now: () => number,
    private readonly observe: StateObserver = async () => undefined
  ) {}

  /** The audit entries of `notes` about `action`, at `at`. */
  entries(action: StoredAction, notes: AuditNote[], at: number): NewAuditEntry[] {
    return notes.map((note) => ({ at, actionId: action.id, triggerId: action.trigger.id, ...note }));
  }

  async move(
    action: StoredAction,
    from: ActionState[],
    to: ActionState,
    changes: ActionChanges,
    notes: AuditNote[],
    nodes: { releaseNode?: string } = {}
  ): Promise<boolean> {
    const at = this.now();
    const moved = await this.actions.transition({
      id: action.id,
      from,
      to,
      at,
      changes,
      alongside: {
        audit: this.entries(action, notes, at),
        ...nodes,
      },
    });
    if (moved) {
      await this.entered(action, to, changes.reason ?? undefined);
    }
    return moved;
  }

  /**
   * Claims an approved action: `decide` sees it and the limit facts as the claim's transaction
   * reads them. True when it now executes.
   */
  async claim(
    id: number,
    window: LimitWindow,
    decide: (action: StoredAction, facts: LimitFacts) => Claim
  ): Promise<boolean> {
    const at = this.now();
    const claimed = await this.actions.claim(id, at, window, (action, facts): ClaimDecision => {
      const claim = decide(action, facts);
      return claim && { ...claim, audit: this.entries(action, claim.notes, at) };
    });
    if (!claimed) {
      return false;
    }
    const after = await this.get(id);
    await this.entered(claimed.action, claimed.to, after.reason);
    return claimed.to === 'executing';
  }

  private async entered(before: StoredAction, to: ActionState, reason: Reason | undefined): Promise<void> {
    this.metrics.entered(before.action.type, to);
    if (to === 'blocked' && reason) {
      this.metrics.refused(reason.kind);
    }
    await this.observe(await this.get(before.id), before);
  }

  block(
    action: StoredAction,
    from: ActionState[],
    reason: Reason,
    nodes: { releaseNode?: string } = {}
  ): Promise<boolean> {
    return this.move(
      action,
      from,
      'blocked',
      { reason, finishedAt: this.now() },
      [{ kind: 'blocked', message: reasonText(reason, iso) }],
      nodes
    );
  }

  async get(id: number): Promise<StoredAction> {
    const action = await this.actions.get(id);
    if (!action) {
      throw new Error(`action ${id} vanished from the store`);
    }
    return action;
  }
}
