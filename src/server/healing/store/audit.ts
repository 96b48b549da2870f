import { isDeepStrictEqual } from 'node:util';
import type Database from 'better-sqlite3';
import { apiFields, countRow, decodeRow, decodeSetting, jsonColumn } from '../../store/rows';
import { statementCache } from '../../store/statements';
import { z } from 'zod';
import { auditKindSchema, type AuditEntry } from '../../../contract/healing';
import { keysetOrder, keysetPage, type KeysetPage } from './keyset';
import { pruneAuditSql, recordCutoffSql, SQLITE_PRUNE, type PruneBatch } from './prune';
import { AUDIT_PAGE, type AuditFilter, type AuditRepository, type NewAuditEntry } from './repositories';

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
  details: jsonColumn(z.unknown()).nullable(),
});

/** An audit row as either store gives it back (details as JSON text). */
export function toEntry(found: unknown): AuditEntry {
  return apiFields(decodeRow(auditRowSchema, 'healing_audit', found));
}

/**
 * The target a filter asks for when it asks for nothing else: its total is the count both stores keep
 * per target (SQLite 0016, PostgreSQL 12) instead of a count of its entries.
 */
export function countedTarget(q: AuditFilter): string | undefined {
  const alone = q.actionId === undefined && !q.triggerId && !q.kind?.length && !q.user;
  return alone && q.from === undefined && q.to === undefined ? q.target || undefined : undefined;
}

const sqlWhere = (where: string[]) => (where.length ? ` WHERE ${where.join(' AND ')}` : '');

/**
 * An entry's columns in both stores' INSERT order: at, kind, action_id, trigger_id, user, comment, message,
 * details, and last the anomaly whose target the entry keeps (migration 0015): a number is an anomaly's id
 * (an alert's id is text, whatever its characters).
 */
export const auditValues = (entry: NewAuditEntry) => [
  entry.at,
  entry.kind,
  entry.actionId ?? null,
  entry.triggerId === undefined ? null : String(entry.triggerId),
  entry.user ?? null,
  entry.comment ?? null,
  entry.message,
  entry.details === undefined ? null : JSON.stringify(entry.details),
  typeof entry.triggerId === 'number' ? entry.triggerId : null,
];

/** The audit log on SQLite: the table refuses UPDATE, and DELETE but of entries older than the retention cutoff (migrations 0003, 0017). */
export class SqliteAuditRepository implements AuditRepository {
  private readonly insert: Database.Statement;
  private readonly statement: (sql: string) => Database.Statement;
  private readonly selectSetting: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    /** Writes a settings row inside the caller's transaction. */
    private readonly saveSetting: (key: string, value: unknown) => void
  ) {
    this.statement = statementCache(db);
    this.insert = db.prepare(
      `INSERT INTO healing_audit (at, kind, action_id, trigger_id, user, comment, message, details, target_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, (SELECT target_id FROM anomalies WHERE id = ?))`
    );
    this.selectSetting = db.prepare('SELECT value FROM settings WHERE key = ?');
  }

  async append(entry: NewAuditEntry): Promise<number> {
    return this.write(entry);
  }

  /** Synchronous, for the other SQLite repositories' transactions. */
  write(entry: NewAuditEntry): number {
    const info = this.insert.run(...auditValues(entry));
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
        const row: unknown = this.selectSetting.get(setting.key);
        const current: unknown = row === undefined ? null : decodeSetting(z.unknown(), setting.key, row);
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
    if (q.target) {
      add('target_id = ?', q.target);
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
    // A target's entries are sought in its index (migration 0015), in id order, whatever the statistics
    // say (with few entries carrying a target, SQLite would rather walk the whole log in id order).
    const from = q.target ? 'healing_audit INDEXED BY healing_audit_target' : 'healing_audit';
    return { q, where, from, clause: sqlWhere(where), params };
  }

  /** One page newest first, keyset by id (the cursor), with the total the filter matches. */
  async list(query: AuditFilter): Promise<KeysetPage<AuditEntry>> {
    const { q, where, from, clause, params } = this.filter(query);
    const key = keysetOrder('id', q.cursor);
    const rows = this.statement(
      `SELECT * FROM ${from}${sqlWhere(key.condition ? [...where, key.condition] : where)} ORDER BY ${key.order} LIMIT ? OFFSET ?`
    ).all(...params, ...key.values, q.limit + 1, q.offset);
    return keysetPage(rows.map(toEntry), q, this.total(q, `${from}${clause}`, params));
  }

  /**
   * How many entries the filter matches: by kind alone, the sum of the per-kind counts migration 0010 keeps;
   * by target alone, the count migration 0016 keeps.
   */
  private total(q: AuditFilter, fromWhere: string, params: unknown[]): number {
    const target = countedTarget(q);
    if (target !== undefined) {
      const row: unknown = this.statement('SELECT n FROM healing_audit_target_counts WHERE target_id = ?').get(target);
      return row === undefined ? 0 : decodeRow(countRow, 'healing_audit_target_counts', row).n;
    }
    const byKindAlone =
      q.actionId === undefined && !q.triggerId && !q.target && !q.user && q.from === undefined && q.to === undefined;
    const kinds = [...new Set(q.kind)];
    const [sql, values] = byKindAlone
      ? kinds.length > 0
        ? [
            `SELECT COALESCE(SUM(n), 0) AS n FROM healing_audit_counts WHERE kind IN (${kinds.map(() => '?').join(', ')})`,
            kinds,
          ]
        : ['SELECT COALESCE(SUM(n), 0) AS n FROM healing_audit_counts', []]
      : [`SELECT COUNT(*) AS n FROM ${fromWhere}`, params];
    return decodeRow(countRow, 'healing_audit', this.statement(sql).get(...values)).n;
  }

  async pruneBefore(cutoff: number, limit: number): Promise<PruneBatch> {
    return this.db.transaction(() => {
      // Recorded first: the log refuses the deletes of entries not older than it (migration 0017).
      for (const sql of recordCutoffSql(SQLITE_PRUNE)) {
        this.statement(sql).run({ cutoff });
      }
      const deleted = this.statement(pruneAuditSql(SQLITE_PRUNE)).run({ cutoff, limit }).changes;
      return { deleted: { healing_audit: deleted }, more: deleted >= limit };
    })();
  }

  async *iterate(query: AuditFilter): AsyncGenerator<AuditEntry> {
    const { from, clause, params } = this.filter(query);
    const statement = this.db.prepare(
      `SELECT * FROM ${from}${clause ? `${clause} AND` : ' WHERE'} id > ? ORDER BY id ASC LIMIT ${AUDIT_PAGE}`
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
