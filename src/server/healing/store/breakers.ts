import type Database from 'better-sqlite3';
import { decodeRow } from '../../store/rows';
import { z } from 'zod';
import { actionTypeSchema, breakerSchema, type ActionType, type Breaker } from '../../../contract/healing';

/** A row as SQLite gives it, checked before it becomes a Breaker. */
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

const lastClosedRow = z.object({ at: z.number().nullable() });

function toBreaker(row: unknown): Breaker {
  const r = decodeRow(rowSchema, 'healing_breakers', row);
  return breakerSchema.parse({
    id: r.id,
    target: r.target,
    actionType: r.action_type,
    repeats: r.repeats,
    windowSeconds: r.window_seconds,
    actionId: r.action_id,
    openedAt: r.opened_at,
    ...(r.closed_at !== null ? { closedAt: r.closed_at } : {}),
    ...(r.closed_by !== null ? { closedBy: r.closed_by } : {}),
    ...(r.comment !== null ? { comment: r.comment } : {}),
  });
}

export interface NewBreaker {
  target: string;
  actionType: ActionType;
  repeats: number;
  windowSeconds: number;
  actionId: number;
  at: number;
}

/** Circuit breakers by target: at most one open per target (a partial unique index says so). */
export class BreakerRepository {
  constructor(private readonly db: Database.Database) {}

  openOn(target: string): Breaker | undefined {
    const row = this.db.prepare('SELECT * FROM healing_breakers WHERE target = ? AND closed_at IS NULL').get(target);
    return row === undefined ? undefined : toBreaker(row);
  }

  /** Undefined when one is already open on the target (another caller opened it first). */
  open(input: NewBreaker): Breaker | undefined {
    const info = this.db
      .prepare(
        `INSERT OR IGNORE INTO healing_breakers (target, action_type, repeats, window_seconds, action_id, opened_at)
         VALUES (?, ?, ?, ?, ?, ?)`
      )
      .run(input.target, input.actionType, input.repeats, input.windowSeconds, input.actionId, input.at);
    return info.changes === 1 ? this.get(Number(info.lastInsertRowid)) : undefined;
  }

  /** The closed breaker, or undefined when none was open on the target. */
  close(target: string, at: number, user: string, comment?: string): Breaker | undefined {
    const open = this.openOn(target);
    if (!open) {
      return undefined;
    }
    this.db
      .prepare(
        'UPDATE healing_breakers SET closed_at = ?, closed_by = ?, comment = ? WHERE id = ? AND closed_at IS NULL'
      )
      .run(at, user, comment ?? null, open.id);
    return this.get(open.id);
  }

  /** When an Editor last closed the target's breaker: repeats before it do not count again. */
  lastClosedAt(target: string): number | undefined {
    const row = this.db
      .prepare('SELECT MAX(closed_at) AS at FROM healing_breakers WHERE target = ? AND closed_at IS NOT NULL')
      .get(target);
    return decodeRow(lastClosedRow, 'healing_breakers', row).at ?? undefined;
  }

  listOpen(): Breaker[] {
    return this.db
      .prepare('SELECT * FROM healing_breakers WHERE closed_at IS NULL ORDER BY opened_at DESC')
      .all()
      .map(toBreaker);
  }

  private get(id: number): Breaker | undefined {
    const row = this.db.prepare('SELECT * FROM healing_breakers WHERE id = ?').get(id);
    return row === undefined ? undefined : toBreaker(row);
  }
}
