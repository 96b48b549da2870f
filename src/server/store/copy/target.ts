import type pg from 'pg';
import { z } from 'zod';
import { messageOf } from '../../../utils/messageOf';
import { ADVISORY_LOCKS, ADVISORY_NAMESPACE } from '../postgres/locks';
import { migratePostgres } from '../postgres/migrate';
import { postgresMigrations } from '../postgres/migrations';
import { withoutNul } from '../postgres/nulText';
import { createPool, DEFAULT_POOL_LIMITS, describeUrl, connectionFailure } from '../postgres/pool';
import { countRow, decodeRow, lockedRow } from '../rows';
import { StoreCopyError } from './errors';
import type { TableCopy } from './plan';
import { COPIED_TABLES, POSTGRES_COUNTS, type Schema } from './tables';
import { quoted } from './source';

/**
 * Marks a copy under way: created (committed) before the first row and dropped with the last step,
 * so a copy that was killed is told from a database someone uses, and the next run clears it.
 */
const UNFINISHED = 'store_copy_unfinished';

const tableRow = z.object({ table_name: z.string() });
const columnRow = z.object({ table_name: z.string(), column_name: z.string() });
const existsRow = z.object({ found: z.boolean() });

/** The PostgreSQL database copied into, as the copy sees it. */
export interface TargetState {
  /** A copy that did not finish left its rows. */
  unfinished: boolean;
  /** Tables holding rows (the copy's marker and the migrations' record aside). */
  nonEmpty: string[];
}

/**
 * The target: a pool of two connections (one migrates, one holds the lock and copies). The copy
 * holds the backend's migration lock from its migrations to its last step, so a backend starting
 * on the database meanwhile waits instead of writing beside the copy.
 */
export class CopyTarget {
  readonly where: string;
  private readonly pool: pg.Pool;
  private client: pg.PoolClient | undefined;

  constructor(url: string) {
    this.where = describeUrl(url);
    this.pool = createPool(url, { ...DEFAULT_POOL_LIMITS, maxConnections: 2 }, () => undefined);
  }

  /** Runs one statement on the copy's connection (the pool's before it is taken). */
  private async run(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
    try {
      return await (this.client ?? this.pool).query(sql, params);
    } catch (err) {
      throw connectionFailure(err, this.where);
    }
  }

  async inspect(): Promise<TargetState> {
    const tables = (
      await this.run(
        `SELECT table_name FROM information_schema.tables
          WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
      )
    ).rows.map((row) => decodeRow(tableRow, 'information_schema.tables', row).table_name);
    const nonEmpty: string[] = [];
    for (const t of tables.filter((t) => t !== UNFINISHED && t !== 'schema_migrations')) {
      const { rows } = await this.run(`SELECT EXISTS (SELECT 1 FROM ${quoted(t)}) AS found`);
      if (decodeRow(existsRow, t, rows[0]).found) {
        nonEmpty.push(t);
      }
    }
    return { unfinished: tables.includes(UNFINISHED), nonEmpty };
  }

  /** This build's migrations; a database a newer build migrated is refused. */
  async migrate(): Promise<number[]> {
    try {
      return await migratePostgres(this.pool, postgresMigrations);
    } catch (err) {
      throw new StoreCopyError(`PostgreSQL at ${this.where}: ${messageOf(connectionFailure(err, this.where))}`);
    }
  }

  /** Takes a connection of its own and the migration lock on it; refuses when someone holds the lock. */
  async lock(): Promise<void> {
    try {
      this.client = await this.pool.connect();
    } catch (err) {
      throw connectionFailure(err, this.where);
    }
    // A connection lost while held emits 'error' besides failing the statement in flight, which
    // says it: heard here rather than ending the process before the copy can say what to do.
    this.client.on('error', () => undefined);
    const { rows } = await this.run('SELECT pg_try_advisory_lock($1, $2) AS locked', [
      ADVISORY_NAMESPACE,
      ADVISORY_LOCKS.migrate,
    ]);
    if (!decodeRow(lockedRow, 'pg_try_advisory_lock', rows[0]).locked) {
      throw new StoreCopyError(
        `PostgreSQL at ${this.where} is being migrated by a backend or another copy: stop what runs on it, then run the copy again`
      );
    }
  }

  async schema(): Promise<Schema> {
    const { rows } = await this.run(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`
    );
    const schema: Schema = new Map();
    for (const row of rows) {
      const { table_name, column_name } = decodeRow(columnRow, 'information_schema.columns', row);
      schema.set(table_name, [...(schema.get(table_name) ?? []), column_name]);
    }
    schema.delete(UNFINISHED);
    return schema;
  }

  async markStarted(source: string): Promise<void> {
    await this.run(`CREATE TABLE ${UNFINISHED} (started_at BIGINT NOT NULL, source TEXT NOT NULL)`);
    await this.run(`INSERT INTO ${UNFINISHED} VALUES ($1, $2)`, [Date.now(), source]);
  }

  /**
   * One statement, so one transaction: ids as SQLite gave them (OVERRIDING the identity columns).
   * How many values were written otherwise than SQLite holds them.
   */
  async insert(plan: TableCopy, rows: unknown[][]): Promise<number> {
    const width = plan.writeColumns.length;
    const tuples = rows.map(
      (_, r) => `(${plan.writeColumns.map((c, i) => `$${r * width + i + 1}::${c.cast}`).join(', ')})`
    );
    const values = rows.flat();
    // What PostgreSQL's text and JSONB cannot hold (U+0000, a lone surrogate): mapped as the PostgreSQL store maps what it writes.
    const stored = withoutNul(values);
    await this.run(
      `INSERT INTO ${quoted(plan.table)} (${plan.writeColumns.map((c) => quoted(c.name)).join(', ')})
       OVERRIDING SYSTEM VALUE VALUES ${tuples.join(', ')}`,
      stored
    );
    return stored.reduce<number>((n, value, i) => (value === values[i] ? n : n + 1), 0);
  }

  async count(table: string): Promise<number> {
    const { rows } = await this.run(`SELECT count(*)::integer AS n FROM ${quoted(table)}`);
    return decodeRow(countRow, table, rows[0]).n;
  }

  /**
   * The last step, one transaction: each identity continues after the highest id SQLite gave (its
   * AUTOINCREMENT never reuses one either), and the marker goes.
   */
  async finish(nextAfter: Map<string, number>): Promise<void> {
    await this.transaction(async () => {
      for (const [table, last] of nextAfter) {
        if (last > 0) {
          await this.run(`SELECT setval(pg_get_serial_sequence($1, 'id'), $2)`, [table, last]);
        }
      }
      await this.run(`DROP TABLE ${UNFINISHED}`);
    });
  }

  /**
   * Empties what a copy wrote, in one transaction: every copied table (the audit log's guard
   * against TRUNCATE lifted inside it) and the marker. The schema stays, at this build's version.
   */
  async clear(): Promise<void> {
    const tables = COPIED_TABLES.map((t) => quoted(t.table));
    await this.transaction(async () => {
      for (const t of tables) {
        await this.run(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
      }
      await this.run(`TRUNCATE ${[...tables, ...POSTGRES_COUNTS].join(', ')} RESTART IDENTITY`);
      for (const t of tables) {
        await this.run(`ALTER TABLE ${t} ENABLE TRIGGER USER`);
      }
      await this.run(`DROP TABLE IF EXISTS ${UNFINISHED}`);
    });
  }

  private async transaction(work: () => Promise<void>): Promise<void> {
    await this.run('BEGIN');
    try {
      await work();
      await this.run('COMMIT');
    } catch (err) {
      await this.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    // Ending the session releases the advisory lock.
    this.client?.release(true);
    this.client = undefined;
    await this.pool.end();
  }
}
