import type Database from 'better-sqlite3';
import { decodeRow } from '../../store/rows';
import { z } from 'zod';
import { auditKindSchema, type AuditEntry, type auditQuerySchema } from '../../../contract/healing';
import { countRow, parseJsonColumns } from './rows';

export type AuditFilter = z.output<typeof auditQuerySchema>;

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

const auditRowSchema = z.object({
  id: z.number().int(),
  at: z.number(),
  kind: auditKindSchema,
  action_id: z.number().int().nullable(),
  trigger_id: z.string().nullable(),
  user: z.string().nullable(),
  comment: z.string().nullable(),
  message: z.string(),
  details: z.unknown(),
});

function toEntry(found: unknown): AuditEntry {
  const row = decodeRow(auditRowSchema, 'healing_audit', parseJsonColumns(found, ['details']));
  return {
    id: row.id,
    at: row.at,
    kind: row.kind,
    ...(row.action_id !== null ? { actionId: row.action_id } : {}),
    ...(row.trigger_id !== null ? { triggerId: row.trigger_id } : {}),
    ...(row.user !== null ? { user: row.user } : {}),
    ...(row.comment !== null ? { comment: row.comment } : {}),
    message: row.message,
    ...(row.details !== null ? { details: row.details } : {}),
  };
}

/** The append-only audit log: the table refuses UPDATE and DELETE (see migration 0003). */
export class AuditRepository {
  private readonly insert: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(
      'INSERT INTO healing_audit (at, kind, action_id, trigger_id, user, comment, message, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
    );
  }

  append(entry: NewAuditEntry): number {
    const info = this.insert.run(
      entry.at,
      entry.kind,
      entry.actionId ?? null,
      entry.triggerId ?? null,
      entry.user ?? null,
      entry.comment ?? null,
      entry.message,
      entry.details === undefined ? null : JSON.stringify(entry.details)
    );
    return Number(info.lastInsertRowid);
  }

  private filter(q: AuditFilter) {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (q.actionId !== undefined) {
      add('action_id = ?', q.actionId);
    }
    if (q.triggerId) {
      add('trigger_id = ?', q.triggerId);
    }
    if (q.kind?.length) {
      add(`kind IN (${q.kind.map(() => '?').join(', ')})`, ...q.kind);
    }
    if (q.user) {
      add('user = ?', q.user);
    }
    if (q.from !== undefined) {
      add('at >= ?', q.from);
    }
    if (q.to !== undefined) {
      add('at <= ?', q.to);
    }
    return { q, clause: where.length ? ` WHERE ${where.join(' AND ')}` : '', params };
  }

  /** Newest first, one page. */
  list(query: AuditFilter): { items: AuditEntry[]; total: number } {
    const { q, clause, params } = this.filter(query);
    const total = decodeRow(
      countRow,
      'healing_audit',
      this.db.prepare(`SELECT COUNT(*) AS n FROM healing_audit${clause}`).get(...params)
    ).n;
    const rows = this.db
      .prepare(`SELECT * FROM healing_audit${clause} ORDER BY id DESC LIMIT ? OFFSET ?`)
      .all(...params, q.limit, q.offset);
    return { items: rows.map(toEntry), total };
  }

  /** Every matching entry, oldest first, without loading them all at once (exports). */
  *iterate(query: AuditFilter): Generator<AuditEntry> {
    const { clause, params } = this.filter(query);
    for (const row of this.db.prepare(`SELECT * FROM healing_audit${clause} ORDER BY id ASC`).iterate(...params)) {
      yield toEntry(row);
    }
  }
}
