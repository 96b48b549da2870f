import type { Breaker } from '../../../contract/healing';
import { lastClosedRow, toBreaker } from '../../healing/store/breakers';
import { pruneBreakersSql, type PruneBatch } from '../../healing/store/prune';
import type { BreakerCloser, BreakerNote, BreakerRepository, NewBreaker } from '../../healing/store/repositories';
import { decodeRow } from '../rows';
import { appendAudit } from './audit';
import type { Database } from './database';
import { POSTGRES_PRUNE } from './healingPrune';

/** Circuit breakers on PostgreSQL: a partial unique index keeps one open per target across replicas. */
export class PostgresBreakerRepository implements BreakerRepository {
  constructor(private readonly db: Database) {}

  async openOn(target: string): Promise<Breaker | undefined> {
    const { rows } = await this.db.query('SELECT * FROM healing_breakers WHERE target = $1 AND closed_at IS NULL', [
      target,
    ]);
    return rows.length === 1 ? toBreaker(rows[0]) : undefined;
  }

  async open(input: NewBreaker, note: BreakerNote): Promise<Breaker | undefined> {
    return this.db.transaction(async (run) => {
      const { rows } = await run(
        `INSERT INTO healing_breakers (target, action_type, repeats, window_seconds, action_id, opened_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (target) WHERE closed_at IS NULL DO NOTHING
         RETURNING *`,
        [input.target, input.actionType, input.repeats, input.windowSeconds, input.actionId, input.at]
      );
      if (rows.length === 0) {
        return undefined;
      }
      const opened = toBreaker(rows[0]);
      await appendAudit(run, note(opened));
      return opened;
    }, 'keyed');
  }

  async close(target: string, at: number, by: BreakerCloser, note: BreakerNote): Promise<Breaker | undefined> {
    return this.db.transaction(async (run) => {
      const { rows } = await run(
        `UPDATE healing_breakers SET closed_at = $2, closed_by = $3, comment = $4
          WHERE target = $1 AND closed_at IS NULL RETURNING *`,
        [target, at, by.user, by.comment ?? null]
      );
      if (rows.length === 0) {
        return undefined;
      }
      const closed = toBreaker(rows[0]);
      await appendAudit(run, note(closed));
      return closed;
    }, 'keyed');
  }

  async lastClosedAt(target: string): Promise<number | undefined> {
    const { rows } = await this.db.query(
      'SELECT MAX(closed_at) AS at FROM healing_breakers WHERE target = $1 AND closed_at IS NOT NULL',
      [target]
    );
    return decodeRow(lastClosedRow, 'healing_breakers', rows[0]).at ?? undefined;
  }

  async listOpen(): Promise<Breaker[]> {
    const { rows } = await this.db.query(
      'SELECT * FROM healing_breakers WHERE closed_at IS NULL ORDER BY opened_at DESC, id DESC'
    );
    return rows.map(toBreaker);
  }

  // One statement, safe to run again after a lost answer: it deletes closed rows still before the cutoff.
  async pruneClosed(cutoff: number, limit: number): Promise<PruneBatch> {
    const deleted = (await this.db.query(pruneBreakersSql(POSTGRES_PRUNE), [cutoff, limit])).rowCount ?? 0;
    return { deleted: { healing_breakers: deleted }, more: deleted >= limit };
  }
}
