import { isDeepStrictEqual } from 'node:util';
import type Database from 'better-sqlite3';
import { decodeRow } from '../../store/rows';
import { z } from 'zod';
import { auditKindSchema, type AuditEntry } from '../../../contract/healing';
import { AUDIT_PAGE, type AuditFilter, type AuditRepository, type NewAuditEntry } from './repositories';
import { countRow, parseJsonColumns } from './rows';

export type { AuditFilter, NewAuditEntry } from './repositories';

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

/** An audit row as either store gives it back (details as JSON text or parsed). */
export function toEntry(found: unknown): AuditEntry {
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

/** The audit log on SQLite: the table refuses UPDATE and DELETE (see migration 0003). */
export class SqliteAuditRepository implements AuditRepository {
  private readonly insert: Database.Statement;
  private readonly selectSetting: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    /** Writes a settings row inside the caller's transaction. */
    private readonly saveSetting: (key: string, value: unknown) => void
  ) {
    this.insert = db.prepare(
      'INSERT INTO healing_audit (at, kind, action_id, trigger_id, user, comment, message, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
    );
    this.selectSetting = db.prepare('SELECT value FROM settings WHERE key = ?');
  }

  async append(entry: NewAuditEntry): Promise<number> {
    return this.write(entry);
  }

  /** Synchronous, for the other SQLite repositories' transactions. */
  write(entry: NewAuditEntry): number {
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

  async appendWithSetting(entry: NewAuditEntry, setting: { key: string; value: unknown }): Promise<number> {
    return this.db.transaction(() => {
      this.saveSetting(setting.key, setting.value);
      return this.write(entry);
    })();
  }

  async appendIfSetting(
    entry: NewAuditEntry,
    setting: { key: string; from: unknown; value: unknown }
  ): Promise<number | undefined> {
    // IMMEDIATE: the write lock is taken before the read, so no other connection changes it between.
    return this.db
      .transaction(() => {
        const row = this.selectSetting.get(setting.key) as { value: string } | undefined;
        const current: unknown = row === undefined ? null : JSON.parse(row.value);
        if (!isDeepStrictEqual(current, setting.from)) {
          return undefined;
        }
        this.saveSetting(setting.key, setting.value);
        return this.write(entry);
      })
      .immediate();
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
  async list(query: AuditFilter): Promise<{ items: AuditEntry[]; total: number }> {
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

  async *iterate(query: AuditFilter): AsyncGenerator<AuditEntry> {
    const { clause, params } = this.filter(query);
    const statement = this.db.prepare(
      `SELECT * FROM healing_audit${clause ? `${clause} AND` : ' WHERE'} id > ? ORDER BY id ASC LIMIT ${AUDIT_PAGE}`
    );
    // A page at a time: no cursor stays open on the connection while the export is streamed.
    for (let after = 0; ;) {
      const rows = statement.all(...params, after).map(toEntry);
      yield* rows;
      if (rows.length < AUDIT_PAGE) {
        return;
      }
      after = rows[rows.length - 1].id;
    }
  }
}
