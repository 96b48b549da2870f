import type { z } from 'zod';
import type {
  actionListQuerySchema,
  ActionState,
  ActionType,
  AuditEntry,
  auditQuerySchema,
  Breaker,
  HealingTrigger,
  PlannedAction,
  Reason,
  TriggerRef,
} from '../../../contract/healing';
import type { DrainProgress } from '../../kubernetes';
import type { ActionChanges, ArchivedAs, NewAction, StoredAction } from './actionRows';
import type { KeysetPage } from './keyset';
import type { PruneBatch } from './prune';
import type { AnnouncementTake, AnnouncementTaken, SummaryTake, SummaryTaken } from './announcements';

// What the healing engine keeps, as asynchronous repositories with one implementation per store
// (SQLite beside these interfaces, PostgreSQL in src/server/store/postgres). A change that must be
// atomic with others (an audit entry, the node budget) is one method, one transaction in each store.

export type ActionFilter = z.output<typeof actionListQuerySchema>;
export type AuditFilter = z.output<typeof auditQuerySchema>;
/** An entry to append: its trigger named by the trigger's own id (the log keeps it as text, whatever the source). */
export type NewAuditEntry = Omit<AuditEntry, 'id' | 'triggerId'> & { triggerId?: TriggerRef['id'] };

export interface HealingRepositories {
  actions: ActionRepository;
  audit: AuditRepository;
  breakers: BreakerRepository;
}

export interface TriggerRecord {
  trigger: HealingTrigger;
  openedAt: number;
  closedAt?: number;
}

export interface OpenedTrigger {
  isNew: boolean;
  /** It was closed and fires again. */
  reopened: boolean;
}

/** What a state change writes besides the action, in its transaction and only when it happens. */
export interface Alongside {
  audit?: NewAuditEntry[];
  /** The node budget: the engine now holds this node cordoned (or draining). */
  holdNode?: string;
  /**
   * The action whose hold on `holdNode` this one takes over (a cordon or drain done with the node:
   * nodeCheck's takesOver). A hold by any other action refuses the whole change.
   */
  takesOver?: number;
  /** The node budget: the engine gave this node back. */
  releaseNode?: string;
}

/** A conditional state change: from one of `from` to `to`, with the columns it sets and what it writes alongside. */
export interface ActionMove {
  id: number;
  from: ActionState[];
  to: ActionState;
  at: number;
  changes?: ActionChanges;
  alongside?: Alongside;
}

/** What the safety limits read about earlier actions, for one action. */
export interface LimitFacts {
  /** Another action of its type on its target still under way. */
  openOn?: number;
  /** The latest start of its type on its target within the window's `cooldownSince`. */
  lastStart?: number;
  /** Kubernetes executions started within the hour, cluster-wide and in its namespace. */
  startedLastHour: number;
  startedLastHourInNamespace: number;
  /** Notifications started within the hour, cluster-wide. */
  notifiedLastHour: number;
  /** Nodes the engine holds cordoned or draining. */
  heldNodes: HeldNode[];
}

/** How far back the limits look: the longest cooldown's start (a notification's repeat interval is its cooldown) and the hour's start. */
export interface LimitWindow {
  cooldownSince: number;
  hourSince: number;
}

export interface HeldNode {
  node: string;
  actionId: number;
}

/** What a claim does with an approved action, decided from what it read inside the claim's transaction. */
export type ClaimDecision =
  | {
      to: 'executing' | 'blocked';
      changes: ActionChanges;
      audit: NewAuditEntry[];
      holdNode?: string;
      takesOver?: number;
    }
  /** Not now: it stays approved. */
  | undefined;

/** The move a claim makes when its decision says go: from approved, with the decision's changes, audit and node. */
export function claimedMove(id: number, at: number, decision: NonNullable<ClaimDecision>): ActionMove {
  return {
    id,
    from: ['approved'],
    to: decision.to,
    at,
    changes: decision.changes,
    alongside: { audit: decision.audit, holdNode: decision.holdNode, takesOver: decision.takesOver },
  };
}

/** One executed action, for the outcomes page. */
export interface OutcomeRow {
  policy: string;
  actionType: ActionType;
  state: ActionState;
  startedAt: number;
  verifiedAt?: number;
  closedAt?: number;
  predictedFailureAt?: number;
}

/** What to audit when a trigger is recorded, told whether it is new or open again. */
export type TriggerNote = (opened: OpenedTrigger) => NewAuditEntry | undefined;
/** A trigger to record and what to audit with it, in order (`openTrigger` of many). */
export interface TriggerToOpen {
  trigger: HealingTrigger;
  notes: (opened: OpenedTrigger) => NewAuditEntry[];
}
/** A single note as the list of notes of a trigger opened with others. */
export const noteList =
  (note: TriggerNote): TriggerToOpen['notes'] =>
  (opened) => {
    const entry = note(opened);
    return entry ? [entry] : [];
  };
/** A trigger to close and what to audit when this call closes it (`closeTrigger` of many). */
export interface TriggerToClose {
  key: string;
  note?: NewAuditEntry;
}
/** A proposal to record and what to audit when it is new (`insert` of many). */
export interface ActionToInsert {
  input: NewAction;
  note?: (id: number) => NewAuditEntry;
}
/** Says, from the action and the limit facts read inside the claim, where an approved action goes. */
export type ClaimDecider = (action: StoredAction, facts: LimitFacts) => ClaimDecision;
/** A claimed action as it was, and where it went. */
export interface Claimed {
  action: StoredAction;
  to: 'executing' | 'blocked';
}

/** Actions and the triggers behind them. Every state change is conditional: the caller learns whether it won. */
export interface ActionRepository {
  /** This process's name on the actions it claims (PostgreSQL); absent: the store records none (SQLite, one process). */
  readonly replica?: string;
  /** Records a trigger, or refreshes it; a closed one that fires again is open again. `note` is audited when it opened. */
  openTrigger(trigger: HealingTrigger, at: number, note: TriggerNote): Promise<OpenedTrigger>;
  /** True when this call closed it (it was open); `note` is audited then. */
  closeTrigger(key: string, at: number, note?: NewAuditEntry): Promise<boolean>;
  /** `openTrigger` of each, in one transaction (an alert group): what each found, in order. */
  openTriggers(items: TriggerToOpen[], at: number): Promise<OpenedTrigger[]>;
  /** `closeTrigger` of each, in one transaction: whether each call closed its trigger, in order. */
  closeTriggers(items: TriggerToClose[], at: number): Promise<boolean[]>;
  trigger(key: string): Promise<TriggerRecord | undefined>;
  /** The actions the trigger proposed, oldest first (not those archived from it: archiveTriggerKey). */
  ofTrigger(key: string): Promise<StoredAction[]>;
  /** Undefined when this trigger already proposed this action on this target (deduplication, across processes). */
  insert(input: NewAction, note?: (id: number) => NewAuditEntry): Promise<number | undefined>;
  /** `insert` of each, in one transaction: the new ids, undefined where it already was proposed, in order. */
  insertMany(items: ActionToInsert[]): Promise<Array<number | undefined>>;
  get(id: number): Promise<StoredAction | undefined>;
  /**
   * Moves the action from one of `from` to `to`; false when its state was not one of `from` (someone else
   * moved it) or another action holds the node it would hold (other than the one it `takesOver`).
   */
  transition(move: ActionMove): Promise<boolean>;
  /**
   * Takes an approved action for execution, one claim at a time across every process: the action
   * and the limit facts are read inside the transaction and `decide` says what happens. Returns the
   * action as it was and where it went; undefined when it was not approved, must wait, or another action
   * holds the node the decision would hold (other than the one it `takesOver`).
   */
  claim(id: number, at: number, window: LimitWindow, decide: ClaimDecider): Promise<Claimed | undefined>;
  limitFacts(action: StoredAction, window: LimitWindow): Promise<LimitFacts>;
  /**
   * Records an announcement as sent, or as held back when `cap` things (notify actions and
   * announcements) went out since `hourSince`: in the claims' turn, so replicas count each other's.
   */
  takeAnnouncement(take: AnnouncementTake): Promise<AnnouncementTaken>;
  /** Gives back what a taken announcement or summary whose send failed took (UNSENT_ANNOUNCEMENT_SQL). */
  unsentAnnouncement(id: number): Promise<void>;
  /**
   * Records a summary of the approval requests held back when one held back after the last summary
   * still awaits approval, that summary is older than `since` (the repeat interval) and fewer than
   * `cap` went out since `hourSince`: how many held-back actions still await approval, and its row;
   * undefined when none may go out now (not due, another replica's summary, or the cap is full: a
   * later tick tries again).
   */
  takeSummary(take: SummaryTake): Promise<SummaryTaken | undefined>;
  /**
   * A superseded action keeps its trigger under an archive key (`<key>#superseded-<id>`, closed), so
   * the deduplication (one action per trigger, type and target) lets the trigger propose it again;
   * an action withdrawn as a false positive likewise (`<key>#withdrawn-<id>`) once its anomaly is confirmed.
   */
  archiveTriggerKey(id: number, at: number, as?: ArchivedAs): Promise<void>;
  /**
   * How many times this trigger's action on this target was superseded and proposed again: the actions
   * archived as superseded from exactly this key, told by their archive's own source and id (an alert's
   * id may hold the marker), as the prune tells an archive.
   */
  supersededCount(key: string, type: PlannedAction['type'], target: string): Promise<number>;
  /** Notes why an approved action still waits (e.g. the node budget), without changing its state; `note` audited with it. */
  setReason(id: number, reason: Reason | null, at: number, note?: NewAuditEntry): Promise<void>;
  /**
   * Claims an executing action left by another process for this one, only if it is still as it was
   * read (its claimant and last write): false when anyone wrote it since. Its last write is `at` then.
   */
  takeOver(left: StoredAction, at: number): Promise<boolean>;
  /**
   * Clears this process's claim on an action it leaves executing once its own step, every request
   * included, has ended (a drain paused as the replica stops or stops leading): the next leader
   * recovers it at once instead of after the claim fence. Nothing when another process claimed it since.
   */
  releaseClaim(id: number, at: number): Promise<void>;
  /** A drain's progress, while it executes. */
  setProgress(id: number, progress: DrainProgress, at: number): Promise<void>;
  idsInState(state: ActionState): Promise<number[]>;
  /**
   * Actions that succeeded and wait for their verification: Kubernetes actions, and a notification
   * only as a ladder's step (the ladder has to know whether it ended with a recovery).
   */
  awaitingVerification(): Promise<number[]>;
  expiredIds(now: number): Promise<number[]>;
  /** Kubernetes executions started since `since`, cluster-wide or in one namespace (notifications do not count). */
  countStartedSince(since: number, namespace?: string): Promise<number>;
  /** Kubernetes executions started since `since`, per namespace (what a drain may still evict). */
  startedByNamespace(since: number): Promise<Map<string, number>>;
  /** Start times of this action on this target since `since`, newest first. */
  startsOn(target: string, type: PlannedAction['type'], since: number): Promise<number[]>;
  /** A page newest first (keyset by id: `q.cursor`), the total the filter matches, and the page's cursors. */
  list(q: ActionFilter): Promise<KeysetPage<StoredAction>>;
  /**
   * Storm mode: how many distinct targets have an open trigger now (one per Kubernetes object, or
   * per label set when the trigger maps to none).
   */
  alarmingTargets(): Promise<number>;
  countInState(state: ActionState): Promise<number>;
  heldNodes(): Promise<HeldNode[]>;
  /** Gives a held node back outside an action's outcome (someone uncordoned it, or it is gone). */
  releaseNode(node: string): Promise<void>;
  /**
   * Gives `node` back only while `actionId` still holds it, with `note` audited, in one transaction:
   * true when this call released it (a node another action took over since stays held).
   */
  releaseHold(node: string, actionId: number, note: NewAuditEntry): Promise<boolean>;
  /** Every action that started, with its verification and trigger, for the outcomes page. */
  outcomeRows(): Promise<OutcomeRow[]>;
  /**
   * Retention: deletes, in one transaction of at most `limit` rows, the oldest triggers that closed
   * before `cutoff` whose actions are all finished and unchanged since, with those actions (prune.ts
   * says which are kept and why).
   */
  pruneFinished(cutoff: number, limit: number): Promise<PruneBatch>;
}

/**
 * The append-only audit log: the store refuses UPDATE of its rows, and DELETE of any not older than
 * the retention cutoff a prune recorded.
 */
export interface AuditRepository {
  append(entry: NewAuditEntry): Promise<number>;
  /** Saves a setting (policies, limits, the kill switch...) with the entry that records the change, in one transaction. */
  appendWithSetting(entry: NewAuditEntry, setting: { key: string; value: unknown }): Promise<number>;
  /**
   * Compare-and-set: changes a setting from `from` to `value` (an absent row counts as null) and
   * appends the entry, in one transaction, only if it still holds `from` when the change is made;
   * the entry's id, or undefined when another writer (a replica) changed it first and nothing was
   * written. A lost answer after the commit reads as undefined on the retry: the change happened
   * once, but its writer does not know it won.
   */
  appendIfSetting(
    entry: NewAuditEntry,
    setting: { key: string; from: unknown; value: unknown }
  ): Promise<number | undefined>;
  /** A page newest first (keyset by id: `q.cursor`), the total the filter matches, and the page's cursors. */
  list(q: AuditFilter): Promise<KeysetPage<AuditEntry>>;
  /** Every matching entry, oldest first, read a page at a time (exports). */
  iterate(q: AuditFilter): AsyncIterable<AuditEntry>;
  /**
   * Retention: records `cutoff` as the log's retention cutoff (unless a later one is recorded) and
   * deletes the oldest entries before it, at most `limit`, in one transaction.
   */
  pruneBefore(cutoff: number, limit: number): Promise<PruneBatch>;
}

export interface NewBreaker {
  target: string;
  actionType: ActionType;
  repeats: number;
  windowSeconds: number;
  actionId: number;
  at: number;
}

/** Who closed a breaker (an Editor), with their comment. */
export interface BreakerCloser {
  user: string;
  comment?: string;
}

/** The audit entry about a breaker opened or closed, written in the same transaction. */
export type BreakerNote = (breaker: Breaker) => NewAuditEntry;

/** Circuit breakers by target: at most one open per target (a unique index says so, across processes). */
export interface BreakerRepository {
  openOn(target: string): Promise<Breaker | undefined>;
  /** Undefined when one is already open on the target (another caller opened it first); `note` audited with it. */
  open(input: NewBreaker, note: BreakerNote): Promise<Breaker | undefined>;
  /** The closed breaker, or undefined when none was open on the target; `note` audited with it. */
  close(target: string, at: number, by: BreakerCloser, note: BreakerNote): Promise<Breaker | undefined>;
  /** When an Editor last closed the target's breaker: repeats before it do not count again. */
  lastClosedAt(target: string): Promise<number | undefined>;
  listOpen(): Promise<Breaker[]>;
  /** Retention: deletes breakers closed before the cutoff, oldest first, at most `limit`; never an open one. */
  pruneClosed(cutoff: number, limit: number): Promise<PruneBatch>;
}

/** A page size for reading the audit log in order without holding a cursor open. */
export const AUDIT_PAGE = 500;
