import type Database from 'better-sqlite3';
import { apiFields, decodeRow } from '../../store/rows';
import { z } from 'zod';
import { actionTypeSchema, breakerSchema, type Breaker } from '../../../contract/healing';
import { pruneBreakersSql, SQLITE_PRUNE, type PruneBatch } from './prune';
import type { BreakerCloser, BreakerNote, BreakerRepository, NewAuditEntry, NewBreaker } from './repositories';

/** A row as either store gives it, checked before it becomes a Breaker. */
const rowSchema = z.object({
  id: z.number().int(),
  target: z.string(),
  action_type: actionTypeSchema,
  repeats: z.number().int(),
  window_seconds: z.number().int(),
  action_id: z.number().int(),
  opened_at: z.number(),
  closed_at: z.number().nullable(),
  closed_by: z.string().nullable(),
  comment: z.string().nullable(),
});

export function toBreaker(row: unknown): Breaker {
  return breakerSchema.parse(apiFields(decodeRow(rowSchema, 'healing_breakers', row)));
}

export const lastClosedRow = z.object({ at: z.number().nullable() });

/** Circuit breakers on SQLite: at most one open per target (a partial unique index says so). */
export class SqliteBreakerRepository implements BreakerRepository {
  constructor(
    private readonly db: Database.Database,
    /** Appends an audit entry inside the caller's transaction. */
    private readonly audit: (entry: NewAuditEntry) => number
  ) {}

  async openOn(target: string): Promise<Breaker | undefined> {
    return this.openRow(target);
  }

  private openRow(target: string): Breaker | undefined {
    const row = this.db.prepare('SELECT * FROM healing_breakers WHERE target = ? AND closed_at IS NULL').get(target);
    return row === undefined ? undefined : toBreaker(row);
  }

  async open(input: NewBreaker, note: BreakerNote): Promise<Breaker | undefined> {
    return this.db.transaction(() => {
      const info = this.db
        .prepare(
          `INSERT OR IGNORE INTO healing_breakers (target, action_type, repeats, window_seconds, action_id, opened_at)
           VALUES (?, ?, ?, ?, ?, ?)`
        )
        .run(input.target, input.actionType, input.repeats, input.windowSeconds, input.actionId, input.at);
      const opened = info.changes === 1 ? this.get(Number(info.lastInsertRowid)) : undefined;
      if (opened) {
        this.audit(note(opened));
      }
      return opened;
    })();
  }

  async close(target: string, at: number, by: BreakerCloser, note: BreakerNote): Promise<Breaker | undefined> {
    return this.db.transaction(() => {
      const open = this.openRow(target);
      if (!open) {
        return undefined;
      }
      this.db
        .prepare(
          'UPDATE healing_breakers SET closed_at = ?, closed_by = ?, comment = ? WHERE id = ? AND closed_at IS NULL'
        )
        .run(at, by.user, by.comment ?? null, open.id);
      const closed = this.get(open.id);
      if (closed) {
        this.audit(note(closed));
      }
      return closed;
    })();
  }

  async lastClosedAt(target: string): Promise<number | undefined> {
    const row = this.db
      .prepare('SELECT MAX(closed_at) AS at FROM healing_breakers WHERE target = ? AND closed_at IS NOT NULL')
      .get(target);
    return decodeRow(lastClosedRow, 'healing_breakers', row).at ?? undefined;
  }

  async listOpen(): Promise<Breaker[]> {
    return this.db
      .prepare('SELECT * FROM healing_breakers WHERE closed_at IS NULL ORDER BY opened_at DESC, id DESC')
      .all()
      .map(toBreaker);
  }

  async pruneClosed(cutoff: number, limit: number): Promise<PruneBatch> {
    const deleted = this.db.prepare(pruneBreakersSql(SQLITE_PRUNE)).run({ cutoff, limit }).changes;
    return { deleted: { healing_breakers: deleted }, more: deleted >= limit };
  }

  private get(id: number): Breaker | undefined {
    const row = this.db.prepare('SELECT * FROM healing_breakers WHERE id = ?').get(id);
    return row === undefined ? undefined : toBreaker(row);
  }
}
