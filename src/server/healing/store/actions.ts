import type Database from 'better-sqlite3';
import { countRow, decodeRow, idRow } from '../../store/rows';
import { statementCache } from '../../store/statements';
import { type ActionState, type HealingTrigger, type PlannedAction, type Reason } from '../../../contract/healing';
import type { DrainProgress } from '../../kubernetes';
import { actionFilterClause, actionPageSql, JOINED, OPEN, readsTrigger } from './actionFilter';
import { alarmingTargets, heldNodes, outcomeRows } from './actionStats';
import { keysetPage, type KeysetPage } from './keyset';
import { batchOf, prunableTriggersSql, SQLITE_PRUNE, type PruneBatch } from './prune';
import {
  ANNOUNCEMENTS_KEPT_MS,
  HELD_WAITING_SQL,
  INSERT_ANNOUNCEMENT_SQL,
  PRUNE_ANNOUNCEMENTS_SQL,
  SENT_SINCE_SQL,
  SUMMARY_DUE_SQL,
  sqlitePlaceholders,
  NOT_A_FAILED_SEND,
  UNSENT_ANNOUNCEMENT_SQL,
  type AnnouncementTake,
  type AnnouncementTaken,
  type SummaryTake,
  type SummaryTaken,
} from './announcements';
import {
  changedColumns,
  closedAtRow,
  namespaceCountRow,
  proposalValues,
  readAction,
  startedAtRow,
  archiveMarker,
  archivedKey,
  triggerKey,
  triggerTargetOf,
  triggerRowSchema,
  type ArchivedAs,
  type NewAction,
  type StoredAction,
} from './actionRows';
import {
  claimedMove,
  noteList,
  type ActionFilter,
  type ActionMove,
  type ActionRepository,
  type ClaimDecider,
  type Claimed,
  type HeldNode,
  type LimitFacts,
  type LimitWindow,
  type NewAuditEntry,
  type OpenedTrigger,
  type OutcomeRow,
  type TriggerNote,
  type TriggerToClose,
  type TriggerToOpen,
  type ActionToInsert,
  type TriggerRecord,
} from './repositories';

export type { ActionChanges, NewAction, StoredAction } from './actionRows';
export { triggerKey } from './actionRows';

const ids = (rows: unknown[]) => rows.map((r) => decodeRow(idRow, 'healing_actions', r).id);
const count = (row: unknown, table = 'healing_actions') => decodeRow(countRow, table, row).n;

const SELECT = `SELECT a.*, t.trigger FROM ${JOINED}`;

/**
 * The actions on SQLite: one process, one connection, so a transaction is `db.transaction` around
 * synchronous statements; the async methods are the interface every store shares.
 */
export class SqliteActionRepository implements ActionRepository {
  private readonly byId: Database.Statement;
  private readonly statement: (sql: string) => Database.Statement;

  constructor(
    private readonly db: Database.Database,
    /** Appends an audit entry inside the caller's transaction. */
    private readonly audit: (entry: NewAuditEntry) => number,
    /** Reads an action row (a list worker passes one that checks each row version once). */
    private readonly decode: (row: unknown) => StoredAction = readAction
  ) {
    this.byId = db.prepare(`${SELECT} WHERE a.id = ?`);
    this.statement = statementCache(db);
  }

  async openTrigger(trigger: HealingTrigger, at: number, note: TriggerNote): Promise<OpenedTrigger> {
    return this.db.transaction(() => this.open({ trigger, notes: noteList(note) }, at))();
  }

  async openTriggers(items: TriggerToOpen[], at: number): Promise<OpenedTrigger[]> {
    return this.db.transaction(() => items.map((item) => this.open(item, at)))();
  }

  /** Records or refreshes one trigger; the caller holds the transaction. */
  private open({ trigger, notes }: TriggerToOpen, at: number): OpenedTrigger {
    const key = triggerKey(trigger);
    const found = this.statement('SELECT closed_at FROM healing_triggers WHERE key = ?').get(key);
    const existing = found === undefined ? undefined : decodeRow(closedAtRow, 'healing_triggers', found);
    let opened: OpenedTrigger;
    if (!existing) {
      this.statement(
        'INSERT INTO healing_triggers (key, source, trigger, trigger_target, opened_at) VALUES (?, ?, ?, ?, ?)'
      ).run(key, trigger.source, JSON.stringify(trigger), triggerTargetOf(trigger), at);
      opened = { isNew: true, reopened: false };
    } else {
      this.statement('UPDATE healing_triggers SET trigger = ?, closed_at = NULL WHERE key = ?').run(
        JSON.stringify(trigger),
        key
      );
      opened = { isNew: false, reopened: existing.closed_at !== null };
    }
    for (const entry of notes(opened)) {
      this.audit(entry);
    }
    return opened;
  }

  async closeTrigger(key: string, at: number, note?: NewAuditEntry): Promise<boolean> {
    return this.db.transaction(() => this.close({ key, note }, at))();
  }

  async closeTriggers(items: TriggerToClose[], at: number): Promise<boolean[]> {
    return this.db.transaction(() => items.map((item) => this.close(item, at)))();
  }

  private close({ key, note }: TriggerToClose, at: number): boolean {
    const closed =
      this.statement('UPDATE healing_triggers SET closed_at = ? WHERE key = ? AND closed_at IS NULL').run(at, key)
        .changes === 1;
    if (closed && note) {
      this.audit(note);
    }
    return closed;
  }

  async trigger(key: string): Promise<TriggerRecord | undefined> {
    const found = this.statement('SELECT trigger, opened_at, closed_at FROM healing_triggers WHERE key = ?').get(key);
    if (found === undefined) {
      return undefined;
    }
    const row = decodeRow(triggerRowSchema, 'healing_triggers', found);
    return { trigger: row.trigger, openedAt: row.opened_at, closedAt: row.closed_at };
  }

  async ofTrigger(key: string): Promise<StoredAction[]> {
    return this.statement(`${SELECT} WHERE a.trigger_key = ? ORDER BY a.id`)
      .all(key)
      .map((row) => this.decode(row));
  }

  async insert(input: NewAction, note?: (id: number) => NewAuditEntry): Promise<number | undefined> {
    return this.db.transaction(() => this.propose({ input, note }))();
  }

  async insertMany(items: ActionToInsert[]): Promise<Array<number | undefined>> {
    return this.db.transaction(() => items.map((item) => this.propose(item)))();
  }

  /** Inserts one proposal unless its trigger already proposed it; the caller holds the transaction. */
  private propose({ input, note }: ActionToInsert): number | undefined {
    const info = this.statement(
      `INSERT OR IGNORE INTO healing_actions (trigger_key, policy, gate, action_type, target, namespace, state, action, ladder, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'proposed', ?, ?, ?, ?)`
    ).run(...proposalValues(input), input.ladder ? JSON.stringify(input.ladder) : null, input.at, input.at);
    if (info.changes !== 1) {
      return undefined;
    }
    const id = Number(info.lastInsertRowid);
    if (note) {
      this.audit(note(id));
    }
    return id;
  }

  async get(id: number): Promise<StoredAction | undefined> {
    return this.read(id);
  }

  private read(id: number): StoredAction | undefined {
    const row = this.byId.get(id);
    return row === undefined ? undefined : this.decode(row);
  }

  async transition(move: ActionMove): Promise<boolean> {
    return this.db.transaction(() => this.move(move))();
  }

  /** The conditional update and what goes with it; the caller holds the transaction. */
  private move({ id, from, to, at, changes = {}, alongside = {} }: ActionMove): boolean {
    const sets = ['state = @to', 'updated_at = @at'];
    const params: Record<string, unknown> = { id, to, at };
    changedColumns(changes).forEach(({ column, value }, i) => {
      sets.push(`${column} = @c${i}`);
      params[`c${i}`] = value;
    });
    const placeholders = from.map((_, i) => `@from${i}`);
    from.forEach((state, i) => (params[`from${i}`] = state));
    let sql = `UPDATE healing_actions SET ${sets.join(', ')} WHERE id = @id AND state IN (${placeholders.join(', ')})`;
    if (alongside.holdNode !== undefined) {
      // The node is this action's to hold only if no other holds it but the one it takes over.
      sql += ` AND NOT EXISTS (SELECT 1 FROM healing_nodes_held
                 WHERE node = @node AND action_id <> @id AND action_id IS NOT @takesOver)`;
      params.node = alongside.holdNode;
      params.takesOver = alongside.takesOver ?? null;
    }
    if (this.statement(sql).run(params).changes !== 1) {
      return false;
    }
    if (alongside.holdNode !== undefined) {
      this.statement(
        'INSERT INTO healing_nodes_held (node, action_id, since) VALUES (?, ?, ?) ON CONFLICT(node) DO UPDATE SET action_id = excluded.action_id'
      ).run(alongside.holdNode, id, at);
    }
    if (alongside.releaseNode !== undefined) {
      this.statement('DELETE FROM healing_nodes_held WHERE node = ?').run(alongside.releaseNode);
    }
    for (const entry of alongside.audit ?? []) {
      this.audit(entry);
    }
    return true;
  }

  async claim(id: number, at: number, window: LimitWindow, decide: ClaimDecider): Promise<Claimed | undefined> {
    // IMMEDIATE: the write lock from the first read, so no other connection's claim reads the same counts.
    return this.db
      .transaction(() => {
        const action = this.read(id);
        if (action?.state !== 'approved') {
          return undefined;
        }
        const decision = decide(action, this.facts(action, window));
        if (!decision) {
          return undefined;
        }
        const moved = this.move(claimedMove(id, at, decision));
        return moved ? { action, to: decision.to } : undefined;
      })
      .immediate();
  }

  async limitFacts(action: StoredAction, window: LimitWindow): Promise<LimitFacts> {
    return this.facts(action, window);
  }

  async takeAnnouncement(take: AnnouncementTake): Promise<AnnouncementTaken> {
    // IMMEDIATE, as a claim: no other connection counts between this count and this row.
    return this.db
      .transaction(() => {
        const sentLastHour = this.sentSince(take.hourSince);
        const sent = sentLastHour < take.cap;
        this.statement(sqlitePlaceholders(PRUNE_ANNOUNCEMENTS_SQL)).run(take.at - ANNOUNCEMENTS_KEPT_MS);
        const { lastInsertRowid } = this.statement(sqlitePlaceholders(INSERT_ANNOUNCEMENT_SQL)).run(
          take.at,
          sent ? 'sent' : 'held',
          take.actionId ?? null
        );
        return { sent, sentLastHour, id: Number(lastInsertRowid) };
      })
      .immediate();
  }

  async unsentAnnouncement(id: number): Promise<void> {
    // Each statement matches one kind of row.
    for (const sql of UNSENT_ANNOUNCEMENT_SQL) {
      this.statement(sqlitePlaceholders(sql)).run(id);
    }
  }

  async takeSummary(take: SummaryTake): Promise<SummaryTaken | undefined> {
    // Most ticks have nothing to tell: read first, and take the write lock only when one may go out.
    if (!this.summaryMayGo(take)) {
      return undefined;
    }
    return this.db
      .transaction(() => {
        const waiting = this.summaryMayGo(take)
          ? count(this.statement(HELD_WAITING_SQL).get(), 'healing_announcements')
          : 0;
        if (!waiting) {
          return undefined;
        }
        const { lastInsertRowid } = this.statement(sqlitePlaceholders(INSERT_ANNOUNCEMENT_SQL)).run(
          take.at,
          'summary',
          null
        );
        return { waiting, id: Number(lastInsertRowid) };
      })
      .immediate();
  }

  /** A summary is due and the hour has room for it. */
  private summaryMayGo(take: SummaryTake): boolean {
    return (
      count(this.statement(sqlitePlaceholders(SUMMARY_DUE_SQL)).get(take.since), 'healing_announcements') > 0 &&
      this.sentSince(take.hourSince) < take.cap
    );
  }

  /** Everything sent to a person since then: notify actions and announcements. */
  private sentSince(since: number): number {
    return count(this.statement(sqlitePlaceholders(SENT_SINCE_SQL)).get(since, since), 'healing_announcements');
  }

  private facts(action: StoredAction, window: LimitWindow): LimitFacts {
    const open = this.statement(
      `SELECT id FROM healing_actions WHERE target = ? AND action_type = ? AND id != ? AND state IN (${OPEN}) ORDER BY id LIMIT 1`
    ).get(action.target, action.action.type, action.id);
    const [lastStart] = this.starts(action.target, action.action.type, window.cooldownSince);
    return {
      ...(open !== undefined ? { openOn: ids([open])[0] } : {}),
      ...(lastStart !== undefined ? { lastStart } : {}),
      startedLastHour: this.started(window.hourSince),
      startedLastHourInNamespace: action.namespace === undefined ? 0 : this.started(window.hourSince, action.namespace),
      notifiedLastHour: this.sentSince(window.hourSince),
      heldNodes: heldNodes(this.db),
    };
  }

  async archiveTriggerKey(id: number, at: number, as: ArchivedAs = 'superseded'): Promise<void> {
    this.db.transaction(() => {
      const action = this.read(id);
      if (!action) {
        return;
      }
      const archived = archivedKey(action.triggerKey, id, as);
      this.statement(
        `INSERT OR IGNORE INTO healing_triggers (key, source, trigger, trigger_target, opened_at, closed_at)
           SELECT ?, source, trigger, trigger_target, opened_at, ? FROM healing_triggers WHERE key = ?`
      ).run(archived, at, action.triggerKey);
      this.statement('UPDATE healing_actions SET trigger_key = ? WHERE id = ?').run(archived, id);
    })();
  }

  async supersededCount(key: string, type: PlannedAction['type'], target: string): Promise<number> {
    return count(
      this.statement(
        `SELECT COUNT(*) AS n FROM healing_actions a JOIN healing_triggers t ON t.key = a.trigger_key
           WHERE a.action_type = @type AND a.target = @target
             AND a.trigger_key = @key || @marker || a.id AND ${SQLITE_PRUNE.openedAs('t')} = @key`
      ).get({ key, marker: archiveMarker('superseded'), type, target })
    );
  }

  async setReason(id: number, reason: Reason | null, at: number, note?: NewAuditEntry): Promise<void> {
    this.db.transaction(() => {
      this.statement('UPDATE healing_actions SET reason = ?, updated_at = ? WHERE id = ?').run(
        reason ? JSON.stringify(reason) : null,
        at,
        id
      );
      if (note) {
        this.audit(note);
      }
    })();
  }

  async takeOver(left: StoredAction, at: number): Promise<boolean> {
    return (
      this.statement(
        `UPDATE healing_actions SET updated_at = ? WHERE id = ? AND state = 'executing' AND updated_at = ?`
      ).run(at, left.id, left.updatedAt).changes === 1
    );
  }

  /** One process, no claims recorded: whoever starts next recovers at once anyway. */
  async releaseClaim(): Promise<void> {}

  async setProgress(id: number, progress: DrainProgress, at: number): Promise<void> {
    this.statement(`UPDATE healing_actions SET progress = ?, updated_at = ? WHERE id = ? AND state = 'executing'`).run(
      JSON.stringify(progress),
      at,
      id
    );
  }

  async idsInState(state: ActionState): Promise<number[]> {
    return ids(this.statement('SELECT id FROM healing_actions WHERE state = ? ORDER BY id').all(state));
  }

  async awaitingVerification(): Promise<number[]> {
    return ids(
      this.statement(
        `SELECT id FROM healing_actions WHERE state = 'succeeded' AND (action_type != 'notify' OR ladder IS NOT NULL) ORDER BY id`
      ).all()
    );
  }

  async expiredIds(now: number): Promise<number[]> {
    return ids(
      this.statement(
        `SELECT id FROM healing_actions WHERE state = 'awaiting_approval' AND expires_at <= ? ORDER BY id`
      ).all(now)
    );
  }

  async countStartedSince(since: number, namespace?: string): Promise<number> {
    return this.started(since, namespace);
  }

  private started(since: number, namespace?: string): number {
    return count(
      namespace === undefined
        ? this.statement(
            `SELECT COUNT(*) AS n FROM healing_actions WHERE started_at >= ? AND action_type != 'notify'`
          ).get(since)
        : this.statement(
            `SELECT COUNT(*) AS n FROM healing_actions WHERE started_at >= ? AND action_type != 'notify' AND namespace = ?`
          ).get(since, namespace)
    );
  }

  async startedByNamespace(since: number): Promise<Map<string, number>> {
    const rows = this.statement(
      `SELECT namespace, COUNT(*) AS n FROM healing_actions
          WHERE started_at >= ? AND action_type != 'notify' AND namespace IS NOT NULL GROUP BY namespace`
    ).all(since);
    return new Map(rows.map((r) => decodeRow(namespaceCountRow, 'healing_actions', r)).map((r) => [r.namespace, r.n]));
  }

  async startsOn(target: string, type: PlannedAction['type'], since: number): Promise<number[]> {
    return this.starts(target, type, since);
  }

  private starts(target: string, type: PlannedAction['type'], since: number): number[] {
    const rows = this.statement(
      `SELECT started_at FROM healing_actions WHERE target = ? AND action_type = ? AND started_at >= ? AND ${NOT_A_FAILED_SEND}
         ORDER BY started_at DESC`
    ).all(target, type, since);
    return rows.map((r) => decodeRow(startedAtRow, 'healing_actions', r)).map((r) => r.started_at);
  }

  /**
   * A page of actions, newest first. A page of open states only reads migration 0013's partial
   * indexes: after another connection's commit a list worker reads it again from a few pages.
   */
  async list(q: ActionFilter): Promise<KeysetPage<StoredAction>> {
    const { clause, params } = actionFilterClause(q);
    const page = actionPageSql(q, clause);
    const rows = this.statement(page.sql).all(...params, ...page.values, q.limit + 1, q.offset);
    return keysetPage(
      rows.map((row) => this.decode(row)),
      q,
      this.total(q, clause, params)
    );
  }

  /**
   * How many actions the filter matches. By state alone (the Actions page's lists): the sum of the
   * per-state counts migration 0010 keeps, not a count of every matching row on every page. Every
   * action has its trigger (a foreign key), so the join is needed only when the filter reads it.
   */
  private total(q: ActionFilter, clause: string, params: unknown[]): number {
    if (!q.policy && !q.namespace && !q.triggerId && !q.triggerTarget) {
      const states = q.state?.length ? [...new Set(q.state)] : undefined;
      const where = states ? ` WHERE state IN (${states.map(() => '?').join(', ')})` : '';
      return count(
        this.statement(`SELECT COALESCE(SUM(n), 0) AS n FROM healing_action_counts${where}`).get(...(states ?? [])),
        'healing_action_counts'
      );
    }
    const from = readsTrigger(q) ? JOINED : 'healing_actions a';
    return count(this.statement(`SELECT COUNT(*) AS n FROM ${from}${clause}`).get(...params));
  }

  async alarmingTargets(): Promise<number> {
    return alarmingTargets(this.db);
  }

  async countInState(state: ActionState): Promise<number> {
    return count(this.statement('SELECT COUNT(*) AS n FROM healing_actions WHERE state = ?').get(state));
  }

  async heldNodes(): Promise<HeldNode[]> {
    return heldNodes(this.db);
  }

  async releaseNode(node: string): Promise<void> {
    this.statement('DELETE FROM healing_nodes_held WHERE node = ?').run(node);
  }

  async releaseHold(node: string, actionId: number, note: NewAuditEntry): Promise<boolean> {
    return this.db.transaction(() => {
      const released =
        this.statement('DELETE FROM healing_nodes_held WHERE node = ? AND action_id = ?').run(node, actionId)
          .changes === 1;
      if (released) {
        this.audit(note);
      }
      return released;
    })();
  }

  async outcomeRows(): Promise<OutcomeRow[]> {
    return outcomeRows(this.db);
  }

  async pruneFinished(cutoff: number, limit: number): Promise<PruneBatch> {
    return this.db.transaction(() => {
      const found = this.statement(prunableTriggersSql(SQLITE_PRUNE)).all({ cutoff, limit });
      const { keys, more } = batchOf(found, limit);
      const list = JSON.stringify(keys);
      // Actions first: each names its trigger (a foreign key). The per-state counts follow (migration 0010).
      const actions = this.statement(
        'DELETE FROM healing_actions WHERE trigger_key IN (SELECT value FROM json_each(?))'
      ).run(list).changes;
      const triggers = this.statement('DELETE FROM healing_triggers WHERE key IN (SELECT value FROM json_each(?))').run(
        list
      ).changes;
      return { deleted: { healing_actions: actions, healing_triggers: triggers }, more };
    })();
  }
}
