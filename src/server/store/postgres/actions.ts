import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { ActionState, HealingTrigger } from '../../../contract/healing';
import { triggerKey, type ActionChanges, type NewAction, type StoredAction } from '../../healing/store/actions';
import { changedColumns, proposalValues, readAction } from '../../healing/store/actionRows';
import { retryingLostConnections } from './pool';

// Rows read back are checked like any other input (healing/store/actionRows.ts): a row another
// version wrote, or a hand edit, fails with the column named instead of deep inside the engine.
export { StoredRowError } from '../rows';

/** A proposal and the key that makes it one row whichever replica proposes it. */
export interface NewIdempotentAction extends NewAction {
  idempotencyKey: string;
}

/** The key of a proposal: one trigger proposes one action of a type on a target (as in the SQLite store). */
export const proposalKey = (input: Pick<NewAction, 'triggerKey' | 'target'> & { type: string }) =>
  `${input.triggerKey}|${input.type}|${input.target}`;

/** An action as the PostgreSQL store keeps it: with the replica that claimed it for execution. */
export type ClaimedAction = StoredAction;

const COLUMNS = `a.id, a.trigger_key, t.trigger, a.policy, a.gate, a.target, a.namespace, a.state, a.action, a.dry_run,
  a.decisions, a.reason, a.result, a.verification, a.claimed_by, a.created_at, a.updated_at, a.expires_at,
  a.started_at, a.finished_at`;

/**
 * The healing actions on PostgreSQL, shared by every replica. Each change is one statement whose
 * WHERE clause says what must still be true, so the caller learns whether it won, whichever
 * process it runs in. A statement whose connection turns out to be gone is run again on a fresh
 * one; every change carries a token of its own (`change_token`), so a repeat after a change that
 * committed but whose answer was lost finds its own token and reports the win instead of a loss.
 */
export class PostgresActionRepository {
  constructor(
    private readonly pool: pg.Pool,
    private readonly where: string,
    private readonly attempts: number
  ) {}

  /** Every statement here may run twice with the same outcome. */
  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    return retryingLostConnections(this.attempts, this.where, () => this.pool.query<R>(sql, params));
  }

  /**
   * Records a trigger, or refreshes it; a closed one that fires again is open again. After an
   * answer lost with its connection, the repeat reports an inserted trigger as not new.
   */
  async openTrigger(trigger: HealingTrigger, at: number): Promise<{ isNew: boolean }> {
    const { rows } = await this.query<{ inserted: boolean }>(
      `INSERT INTO healing_triggers (key, source, trigger, opened_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key) DO UPDATE SET trigger = EXCLUDED.trigger, closed_at = NULL
       RETURNING (xmax = 0) AS inserted`,
      [triggerKey(trigger), trigger.source, JSON.stringify(trigger), at]
    );
    return { isNew: rows[0].inserted };
  }

  /**
   * Inserts a proposal unless its idempotency key is taken: then `created` is false and `id` is
   * the action that holds the key (made by this replica or another).
   */
  async insert(input: NewIdempotentAction): Promise<{ id: number; created: boolean }> {
    const inserted = await this.query<{ id: number }>(
      `INSERT INTO healing_actions (idempotency_key, trigger_key, policy, gate, action_type, target, namespace, state,
         action, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'proposed', $8, $9, $9)
       ON CONFLICT ON CONSTRAINT healing_actions_idempotency DO NOTHING
       RETURNING id`,
      [input.idempotencyKey, ...proposalValues(input), input.at]
    );
    if (inserted.rows.length === 1) {
      return { id: inserted.rows[0].id, created: true };
    }
    const existing = await this.query<{ id: number }>('SELECT id FROM healing_actions WHERE idempotency_key = $1', [
      input.idempotencyKey,
    ]);
    return { id: existing.rows[0].id, created: false };
  }

  async get(id: number): Promise<ClaimedAction | undefined> {
    const { rows } = await this.query(
      `SELECT ${COLUMNS} FROM healing_actions a JOIN healing_triggers t ON t.key = a.trigger_key WHERE a.id = $1`,
      [id]
    );
    return rows.length === 1 ? readAction(rows[0]) : undefined;
  }

  /** Moves the action from one of `from` to `to`; false when its state was not one of `from` (another replica moved it). */
  async transition(
    id: number,
    from: ActionState[],
    to: ActionState,
    at: number,
    changes: ActionChanges = {}
  ): Promise<boolean> {
    const params: unknown[] = [id, from, to, at, randomUUID()];
    const sets = ['state = $3', 'updated_at = $4', 'change_token = $5'];
    for (const { column, value } of changedColumns(changes)) {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    }
    const result = await this.query(
      `UPDATE healing_actions SET ${sets.join(', ')}
       WHERE id = $1 AND (state = ANY($2::text[]) OR change_token = $5)`,
      params
    );
    return result.rowCount === 1;
  }

  /**
   * Takes an approved action for execution: it becomes `executing`, claimed by `replica`. Exactly
   * one caller gets it, however many replicas ask at once: the row is locked with SKIP LOCKED, so
   * a concurrent claimer skips it instead of waiting, and once committed its state no longer matches.
   */
  async claim(id: number, replica: string, at: number): Promise<ClaimedAction | undefined> {
    return this.claimWhere('id = $4', [replica, at, randomUUID(), id]);
  }

  /** Claims the oldest approved action no other replica is claiming, if any. */
  async claimNext(replica: string, at: number): Promise<ClaimedAction | undefined> {
    return this.claimWhere('TRUE', [replica, at, randomUUID()]);
  }

  // A retry after a claim whose answer was lost with its connection finds the row by its token and
  // returns it, instead of reporting nothing to claim.
  private async claimWhere(condition: string, params: unknown[]): Promise<ClaimedAction | undefined> {
    const { rows } = await this.query(
      `WITH picked AS (
         SELECT id FROM healing_actions
         WHERE (state = 'approved' OR change_token = $3) AND ${condition}
         ORDER BY change_token = $3 DESC NULLS LAST, id LIMIT 1 FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE healing_actions a
         SET state = 'executing', claimed_by = $1, change_token = $3, started_at = $2, updated_at = $2
         FROM picked WHERE a.id = picked.id
         RETURNING a.*
       )
       SELECT ${COLUMNS} FROM claimed a JOIN healing_triggers t ON t.key = a.trigger_key`,
      params
    );
    return rows.length === 1 ? readAction(rows[0]) : undefined;
  }
}
