import { z } from 'zod';
import { randomUUID } from 'node:crypto';
import type { ActionState, HealingTrigger, PlannedAction, Reason } from '../../../contract/healing';
import type { DrainProgress } from '../../kubernetes';
import {
  namespaceCountRow,
  outcomeRowSchema,
  readAction,
  archiveMarker,
  archivedKey,
  triggerRowSchema,
  type ArchivedAs,
  type NewAction,
  type StoredAction,
} from '../../healing/store/actionRows';
import type * as repo from '../../healing/store/repositories';
import { claimedMove, noteList } from '../../healing/store/repositories';
import { keysetPage, postgresKeyset, type KeysetPage } from '../../healing/store/keyset';
import type { PruneBatch } from '../../healing/store/prune';
import {
  ANNOUNCEMENTS_KEPT_MS,
  HELD_WAITING_SQL,
  INSERT_ANNOUNCEMENT_SQL,
  announcementTaken,
  PRUNE_ANNOUNCEMENTS_SQL,
  summaryTaken,
  SUMMARY_DUE_SQL,
  UNSENT_ANNOUNCEMENT_SQL,
  type AnnouncementTake,
  type AnnouncementTaken,
  type SummaryTake,
  type SummaryTaken,
} from '../../healing/store/announcements';
import { decodeRow, idRow } from '../rows';
import { facts, held, notified, started, starts } from './actionLimits';
import { move } from './actionMove';
import { COLUMNS, count, FROM, ids, read } from './actionReads';
import { appendAudit } from './audit';
import type { Database, Run } from './database';
import { POSTGRES_PRUNE, pruneTriggers } from './healingPrune';
import { ADVISORY_LOCKS, ADVISORY_NAMESPACE } from './locks';
import { closeOne, insertOne, openOne, proposalKey } from './triggerWrites';

/**
 * The healing actions on PostgreSQL, shared by every replica. A change is one transaction whose
 * conditions say what must still be true, so the caller learns whether it won whichever process
 * it runs in; a read that decides a write locks its row (`FOR UPDATE`). A transition carries a
 * token of its own (`change_token`): repeated after its answer was lost with its connection, it
 * finds its token and reports the win, without writing its audit entries twice.
 */
export class PostgresActionRepository implements repo.ActionRepository {
  constructor(
    private readonly db: Database,
    /** This replica, recorded on the actions it claims. */
    readonly replica: string
  ) {}

  async openTrigger(trigger: HealingTrigger, at: number, note: repo.TriggerNote): Promise<repo.OpenedTrigger> {
    return this.db.transaction((run) => openOne(run, { trigger, notes: noteList(note) }, at), 'keyed');
  }

  async openTriggers(items: repo.TriggerToOpen[], at: number): Promise<repo.OpenedTrigger[]> {
    return this.db.transaction(async (run) => {
      const opened: repo.OpenedTrigger[] = [];
      for (const item of items) {
        opened.push(await openOne(run, item, at));
      }
      return opened;
    }, 'keyed');
  }

  async closeTrigger(key: string, at: number, note?: repo.NewAuditEntry): Promise<boolean> {
    return this.db.transaction((run) => closeOne(run, { key, note }, at), 'keyed');
  }

  async closeTriggers(items: repo.TriggerToClose[], at: number): Promise<boolean[]> {
    return this.db.transaction(async (run) => {
      const closed: boolean[] = [];
      for (const item of items) {
        closed.push(await closeOne(run, item, at));
      }
      return closed;
    }, 'keyed');
  }

  async trigger(key: string): Promise<repo.TriggerRecord | undefined> {
    const { rows } = await this.db.query(
      'SELECT trigger::text AS trigger, opened_at, closed_at FROM healing_triggers WHERE key = $1',
      [key]
    );
    if (rows.length === 0) {
      return undefined;
    }
    const row = decodeRow(triggerRowSchema, 'healing_triggers', rows[0]);
    return { trigger: row.trigger, openedAt: row.opened_at, closedAt: row.closed_at };
  }

  async ofTrigger(key: string): Promise<StoredAction[]> {
    const { rows } = await this.db.query(`SELECT ${COLUMNS} FROM ${FROM} WHERE a.trigger_key = $1 ORDER BY a.id`, [
      key,
    ]);
    return rows.map(readAction);
  }

  async insert(input: NewAction, note?: (id: number) => repo.NewAuditEntry): Promise<number | undefined> {
    return this.db.transaction((run) => insertOne(run, { input, note }), 'keyed');
  }

  async insertMany(items: repo.ActionToInsert[]): Promise<Array<number | undefined>> {
    return this.db.transaction(async (run) => {
      const inserted: Array<number | undefined> = [];
      for (const item of items) {
        inserted.push(await insertOne(run, item));
      }
      return inserted;
    }, 'keyed');
  }

  async get(id: number): Promise<StoredAction | undefined> {
    return read(this.db.query, id);
  }

  async transition(change: repo.ActionMove): Promise<boolean> {
    const token = randomUUID();
    return this.db.transaction((run) => move(run, { ...change, token }), 'keyed');
  }

  async claim(
    id: number,
    at: number,
    window: repo.LimitWindow,
    decide: repo.ClaimDecider
  ): Promise<repo.Claimed | undefined> {
    const token = randomUUID();
    return this.db.transaction(async (run) => {
      // Claims take turns across replicas: the counts the limits read include every execution.
      await run('SELECT pg_advisory_xact_lock($1, $2)', [ADVISORY_NAMESPACE, ADVISORY_LOCKS.claim]);
      const action = await read(run, id, 'FOR UPDATE OF a');
      if (action?.state !== 'approved') {
        return undefined;
      }
      const decision = decide(action, await facts(run, action, window));
      if (!decision) {
        return undefined;
      }
      const moved = await move(run, {
        ...claimedMove(id, at, decision),
        token,
        claimedBy: decision.to === 'executing' ? this.replica : undefined,
      });
      return moved ? { action, to: decision.to } : undefined;
    }, 'keyed');
  }

  async takeAnnouncement(take: AnnouncementTake): Promise<AnnouncementTaken> {
    // Keyed: a run again after a lost COMMIT would record the announcement twice.
    return this.db.once(take.at, announcementTaken, async (run) => {
      // In the claims' turn: their counts and this one include each other's.
      await run('SELECT pg_advisory_xact_lock($1, $2)', [ADVISORY_NAMESPACE, ADVISORY_LOCKS.claim]);
      const sentLastHour = await notified(run, take.hourSince);
      const sent = sentLastHour < take.cap;
      await run(PRUNE_ANNOUNCEMENTS_SQL, [take.at - ANNOUNCEMENTS_KEPT_MS]);
      const { rows } = await run(`${INSERT_ANNOUNCEMENT_SQL} RETURNING id`, [
        take.at,
        sent ? 'sent' : 'held',
        take.actionId ?? null,
      ]);
      return { sent, sentLastHour, id: decodeRow(idRow, 'healing_announcements', rows[0]).id };
    });
  }

  async unsentAnnouncement(id: number): Promise<void> {
    // Each statement matches one kind of row and changes it once however often it runs.
    for (const sql of UNSENT_ANNOUNCEMENT_SQL) {
      await this.db.query(sql, [id]);
    }
  }

  async takeSummary(take: SummaryTake): Promise<SummaryTaken | undefined> {
    // A summary is due and the hour has room for it.
    const mayGo = async (run: Run) =>
      count((await run(SUMMARY_DUE_SQL, [take.since])).rows, 'healing_announcements') > 0 &&
      (await notified(run, take.hourSince)) < take.cap;
    // Most ticks have nothing to tell: read first, and take the claims' lock only when one may go out.
    if (!(await mayGo(this.db.query))) {
      return undefined;
    }
    const taken = await this.db.once(take.at, summaryTaken.nullable(), async (run) => {
      await run('SELECT pg_advisory_xact_lock($1, $2)', [ADVISORY_NAMESPACE, ADVISORY_LOCKS.claim]);
      const waiting = (await mayGo(run)) ? count((await run(HELD_WAITING_SQL)).rows, 'healing_announcements') : 0;
      if (!waiting) {
        return null;
      }
      const { rows } = await run(`${INSERT_ANNOUNCEMENT_SQL} RETURNING id`, [take.at, 'summary', null]);
      return { waiting, id: decodeRow(idRow, 'healing_announcements', rows[0]).id };
    });
    return taken ?? undefined;
  }

  async limitFacts(action: StoredAction, window: repo.LimitWindow): Promise<repo.LimitFacts> {
    return facts(this.db.query, action, window);
  }

  async archiveTriggerKey(id: number, at: number, as: ArchivedAs = 'superseded'): Promise<void> {
    // Keyed by a request: run again after a lost COMMIT, it would archive the archived key.
    await this.db.once(at, z.undefined(), async (run) => {
      const action = await read(run, id, 'FOR UPDATE OF a');
      if (!action) {
        return;
      }
      const archived = archivedKey(action.triggerKey, id, as);
      await run(
        `INSERT INTO healing_triggers (key, source, trigger, trigger_target, opened_at, closed_at)
         SELECT $1, source, trigger, trigger_target, opened_at, $2 FROM healing_triggers WHERE key = $3
         ON CONFLICT (key) DO NOTHING`,
        [archived, at, action.triggerKey]
      );
      // The idempotency key moves with it: the trigger may propose the action again.
      await run('UPDATE healing_actions SET trigger_key = $1, idempotency_key = $2 WHERE id = $3', [
        archived,
        proposalKey({ triggerKey: archived, type: action.action.type, target: action.target }),
        id,
      ]);
    });
  }

  async supersededCount(key: string, type: PlannedAction['type'], target: string): Promise<number> {
    const { rows } = await this.db.query(
      `SELECT COUNT(*) AS n FROM healing_actions a JOIN healing_triggers t ON t.key = a.trigger_key
        WHERE a.action_type = $3 AND a.target = $4
          AND a.trigger_key = $1::text || $2::text || a.id AND ${POSTGRES_PRUNE.openedAs('t')} = $1`,
      [key, archiveMarker('superseded'), type, target]
    );
    return count(rows);
  }

  async setReason(id: number, reason: Reason | null, at: number, note?: repo.NewAuditEntry): Promise<void> {
    // Keyed by a request: run again after a lost COMMIT, it would log its note twice.
    await this.db.once(at, z.undefined(), async (run) => {
      await run('UPDATE healing_actions SET reason = $2, updated_at = $3 WHERE id = $1', [
        id,
        reason ? JSON.stringify(reason) : null,
        at,
      ]);
      if (note) {
        await appendAudit(run, note);
      }
    });
  }

  async takeOver(left: StoredAction, at: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE healing_actions SET claimed_by = $2, updated_at = $3
       WHERE id = $1 AND state = 'executing' AND claimed_by IS NOT DISTINCT FROM $4 AND updated_at = $5`,
      [left.id, this.replica, at, left.claimedBy ?? null, left.updatedAt]
    );
    return rowCount === 1;
  }

  async releaseClaim(id: number, at: number): Promise<void> {
    await this.db.query(
      `UPDATE healing_actions SET claimed_by = NULL, updated_at = $3 WHERE id = $1 AND state = 'executing' AND claimed_by = $2`,
      [id, this.replica, at]
    );
  }

  async setProgress(id: number, progress: DrainProgress, at: number): Promise<void> {
    await this.db.query(
      `UPDATE healing_actions SET progress = $2, updated_at = $3 WHERE id = $1 AND state = 'executing'`,
      [id, JSON.stringify(progress), at]
    );
  }

  async idsInState(state: ActionState): Promise<number[]> {
    return ids((await this.db.query('SELECT id FROM healing_actions WHERE state = $1 ORDER BY id', [state])).rows);
  }

  async awaitingVerification(): Promise<number[]> {
    const { rows } = await this.db.query(
      `SELECT id FROM healing_actions WHERE state = 'succeeded' AND (action_type != 'notify' OR ladder IS NOT NULL) ORDER BY id`
    );
    return ids(rows);
  }

  async expiredIds(now: number): Promise<number[]> {
    const { rows } = await this.db.query(
      `SELECT id FROM healing_actions WHERE state = 'awaiting_approval' AND expires_at <= $1 ORDER BY id`,
      [now]
    );
    return ids(rows);
  }

  async countStartedSince(since: number, namespace?: string): Promise<number> {
    return started(this.db.query, since, namespace);
  }

  async startedByNamespace(since: number): Promise<Map<string, number>> {
    const { rows } = await this.db.query(
      `SELECT namespace, COUNT(*) AS n FROM healing_actions
        WHERE started_at >= $1 AND action_type != 'notify' AND namespace IS NOT NULL GROUP BY namespace`,
      [since]
    );
    return new Map(rows.map((r) => decodeRow(namespaceCountRow, 'healing_actions', r)).map((r) => [r.namespace, r.n]));
  }

  async startsOn(target: string, type: PlannedAction['type'], since: number): Promise<number[]> {
    return starts(this.db.query, target, type, since);
  }

  async list(q: repo.ActionFilter): Promise<KeysetPage<StoredAction>> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (q.state?.length) {
      add((p) => `a.state = ANY(${p}::text[])`, q.state);
    }
    if (q.policy) {
      add((p) => `a.policy = ${p}`, q.policy);
    }
    if (q.namespace) {
      add((p) => `a.namespace = ${p}`, q.namespace);
    }
    if (q.triggerId) {
      add((p) => `t.trigger->>'id' = ${p}`, q.triggerId);
    }
    let from = FROM;
    if (q.triggerTarget) {
      add((p) => {
        // The target's triggers first, then their actions by key (OFFSET 0 keeps the planner from walking every
        // action newest first for a target's few, as it did for the page's LIMIT), then the page's few sorted.
        from = `healing_actions a JOIN (SELECT * FROM healing_triggers WHERE trigger_target = ${p} OFFSET 0) t ON t.key = a.trigger_key`;
        return `t.trigger_target = ${p}`;
      }, q.triggerTarget);
    }
    const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    // Every action has its trigger (a foreign key): the count joins it only when the filter reads it.
    const counted = q.triggerId || q.triggerTarget ? from : 'healing_actions a';
    const total = count((await this.db.query(`SELECT COUNT(*) AS n FROM ${counted}${clause}`, params)).rows);
    const page = postgresKeyset('a.id', where, params, q);
    const { rows } = await this.db.query(`SELECT ${COLUMNS} FROM ${from}${page.sql}`, page.params);
    return keysetPage(rows.map(readAction), q, total);
  }

  async alarmingTargets(): Promise<number> {
    const { rows } = await this.db.query(
      `SELECT COUNT(DISTINCT COALESCE(trigger->'object', trigger->'labels')) AS n
         FROM healing_triggers WHERE closed_at IS NULL`
    );
    return count(rows, 'healing_triggers');
  }

  async countInState(state: ActionState): Promise<number> {
    return count((await this.db.query('SELECT COUNT(*) AS n FROM healing_actions WHERE state = $1', [state])).rows);
  }

  async heldNodes(): Promise<repo.HeldNode[]> {
    return held(this.db.query);
  }

  async releaseNode(node: string): Promise<void> {
    await this.db.query('DELETE FROM healing_nodes_held WHERE node = $1', [node]);
  }

  async releaseHold(node: string, actionId: number, note: repo.NewAuditEntry): Promise<boolean> {
    // Keyed by its condition: run again after a lost COMMIT, it finds the hold gone and writes nothing twice.
    return this.db.transaction(async (run) => {
      const { rowCount } = await run('DELETE FROM healing_nodes_held WHERE node = $1 AND action_id = $2', [
        node,
        actionId,
      ]);
      if (rowCount !== 1) {
        return false;
      }
      await appendAudit(run, note);
      return true;
    }, 'keyed');
  }

  async outcomeRows(): Promise<repo.OutcomeRow[]> {
    const { rows } = await this.db.query(
      `SELECT a.policy, a.action_type, a.state, a.started_at,
              (a.verification->>'at')::float8 AS verified_at, t.closed_at,
              (t.trigger->>'predictedFailureAt')::float8 AS predicted_failure_at
         FROM ${FROM}
        WHERE a.started_at IS NOT NULL ORDER BY a.policy, a.action_type, a.id`
    );
    return rows.map((row) => decodeRow(outcomeRowSchema, 'healing_actions', row));
  }

  // Keyed: run again after a lost answer, it deletes what is still prunable, nothing else.
  pruneFinished(cutoff: number, limit: number): Promise<PruneBatch> {
    return this.db.transaction((run) => pruneTriggers(run, cutoff, limit), 'keyed');
  }
}
