import type { AuditEntry } from '../../../contract/healing';
import { auditValues, countedTarget, toEntry } from '../../healing/store/audit';
import {
  AUDIT_PAGE,
  type AuditFilter,
  type AuditRepository,
  type NewAuditEntry,
} from '../../healing/store/repositories';
import { keysetPage, postgresKeyset, type KeysetPage } from '../../healing/store/keyset';
import type { PruneBatch } from '../../healing/store/prune';
import { countRow, decodeRow, idRow } from '../rows';
import type { Database, Run } from './database';
import { pruneAudit } from './healingPrune';

// "user" is a reserved word in PostgreSQL: quoted, the column keeps SQLite's name.
const COLUMNS = 'id, at, kind, action_id, trigger_id, "user", comment, message, details::text AS details';

/** Appends an entry inside the caller's transaction (or alone, on the pool); its id. */
export async function appendAudit(run: Run, entry: NewAuditEntry): Promise<number> {
  const { rows } = await run(
    `INSERT INTO healing_audit (at, kind, action_id, trigger_id, "user", comment, message, details, target_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, (SELECT target_id FROM anomalies WHERE id = $9::bigint)) RETURNING id`,
    auditValues(entry)
  );
  return decodeRow(idRow, 'healing_audit', rows[0]).id;
}

/** Writes a settings row inside the caller's transaction. */
export async function saveSetting(run: Run, key: string, value: unknown, at: number): Promise<void> {
  await run(
    `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`,
    [key, JSON.stringify(value), at]
  );
}

/**
 * Changes a settings row from `from` to `value` in one statement, so a replica racing on it waits
 * for the row lock and then finds its condition false: whether this one changed it. From null, a
 * missing row is inserted (two inserting at once: the second meets the first's row and its WHERE).
 */
async function changeSetting(
  run: Run,
  setting: { key: string; from: unknown; value: unknown },
  at: number
): Promise<boolean> {
  const params = [setting.key, JSON.stringify(setting.value), at, JSON.stringify(setting.from)];
  const { rowCount } =
    setting.from === null
      ? await run(
          `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
           WHERE settings.value = $4::jsonb`,
          params
        )
      : await run(`UPDATE settings SET value = $2, updated_at = $3 WHERE key = $1 AND value = $4::jsonb`, params);
  return rowCount === 1;
}

/** The audit log on PostgreSQL: triggers refuse UPDATE and TRUNCATE, and DELETE but of entries older than the retention cutoff (migrations 2, 13). */
export class PostgresAuditRepository implements AuditRepository {
  constructor(
    private readonly db: Database,
    private readonly now: () => number
  ) {}

  // Keyed: a retry after a lost answer must not log the entry twice (the log is append-only).
  append(entry: NewAuditEntry): Promise<number> {
    return this.db.once(this.now(), idRow.shape.id, (run) => appendAudit(run, entry));
  }

  appendWithSetting(entry: NewAuditEntry, setting: { key: string; value: unknown }): Promise<number> {
    return this.db.once(this.now(), idRow.shape.id, async (run) => {
      await saveSetting(run, setting.key, setting.value, this.now());
      return appendAudit(run, entry);
    });
  }

  appendIfSetting(
    entry: NewAuditEntry,
    setting: { key: string; from: unknown; value: unknown }
  ): Promise<number | undefined> {
    return this.db.transaction(async (run) => {
      const changed = await changeSetting(run, setting, this.now());
      return changed ? appendAudit(run, entry) : undefined;
    }, 'keyed');
  }

  private filter(q: AuditFilter) {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (q.actionId !== undefined) {
      // bigint: any id the schema lets through (past the INTEGER column's range) matches nothing, not a 500.
      add((p) => `action_id = ${p}::bigint`, q.actionId);
    }
    if (q.triggerId) {
      add((p) => `trigger_id = ${p}`, q.triggerId);
    }
    if (q.target) {
      // The target its anomaly's entries keep (migration 11), read from their (target_id, id) index.
      add((p) => `target_id = ${p}`, q.target);
    }
    if (q.kind?.length) {
      add((p) => `kind = ANY(${p}::text[])`, q.kind);
    }
    if (q.user) {
      add((p) => `"user" = ${p}`, q.user);
    }
    if (q.from !== undefined) {
      add((p) => `at >= ${p}`, q.from);
    }
    if (q.to !== undefined) {
      add((p) => `at <= ${p}`, q.to);
    }
    return { where, params };
  }

  async list(q: AuditFilter): Promise<KeysetPage<AuditEntry>> {
    const { where, params } = this.filter(q);
    const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    const target = countedTarget(q);
    // A target alone: the count migration 12 keeps (no row: none yet).
    const counted =
      target === undefined
        ? await this.db.query(`SELECT COUNT(*) AS n FROM healing_audit${clause}`, params)
        : await this.db.query(
            'SELECT COALESCE((SELECT n FROM healing_audit_target_counts WHERE target_id = $1), 0) AS n',
            [target]
          );
    const total = decodeRow(countRow, 'healing_audit', counted.rows[0]).n;
    const page = postgresKeyset('id', where, params, q);
    const { rows } = await this.db.query(`SELECT ${COLUMNS} FROM healing_audit${page.sql}`, page.params);
    return keysetPage(rows.map(toEntry), q, total);
  }

  // Keyed: run again after a lost answer, it deletes entries still before the cutoff, nothing else.
  pruneBefore(cutoff: number, limit: number): Promise<PruneBatch> {
    return this.db.transaction((run) => pruneAudit(run, cutoff, limit), 'keyed');
  }

  async *iterate(q: AuditFilter): AsyncGenerator<AuditEntry> {
    const { where, params } = this.filter(q);
    const after = `id > $${params.length + 1}`;
    const sql = `SELECT ${COLUMNS} FROM healing_audit WHERE ${[...where, after].join(' AND ')} ORDER BY id LIMIT ${AUDIT_PAGE}`;
    // A page at a time, by id: no cursor or connection is held while the export is streamed.
    for (let last = 0; ;) {
      const rows = (await this.db.query(sql, [...params, last])).rows.map(toEntry);
      yield* rows;
      if (rows.length < AUDIT_PAGE) {
        return;
      }
      last = rows[rows.length - 1].id;
    }
  }
}
