import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { codeOf, messageOf } from '../../../utils/messageOf';
import { appliedMigrations, migrate, pendingMigrations } from '../migrate';
import { migrations } from '../migrations';
import { decodeRow } from '../rows';
import { DATABASE_FILE } from '../sqlite';
import { StoreCopyError } from './errors';
import type { TableCopy } from './plan';
import type { Schema } from './tables';

/** The SQLite store copied from, held locked for the whole copy. */
export interface CopySource {
  file: string;
  /** Brings it to this build's schema, as the backend does at start: the migrations applied. */
  migrate(): number[];
  schema(): Schema;
  /** The highest id each AUTOINCREMENT table ever gave (deleted rows included), by table. */
  sequences(): Map<string, number>;
  /** The table's rows in rowid order, `limit` at a time after `after`; each with its rowid. */
  page(plan: TableCopy, after: number, limit: number): Array<{ rowid: number; raw: unknown }>;
  /** Every `settings` row: its key and its value's JSON text. */
  settings(): Array<{ key: string; value: string }>;
  close(): void;
}

const tableRow = z.object({ name: z.string() });
const columnRow = z.object({ name: z.string() });
const sequenceRow = z.object({ name: z.string(), seq: z.number().int() });
const rowidRow = z.object({ _rowid_: z.number().int() });
const settingRow = z.object({ key: z.string(), value: z.string() });

/**
 * Opens `from` (a data dir, or the database file in it) for the copy: in SQLite's exclusive locking
 * mode, so a backend that has the file open (it holds a shared lock on it for as long as it runs, WAL
 * mode) makes this fail at once, and none can open it until the copy ends. A file written by a newer
 * build is refused.
 */
export function openCopySource(from: string): CopySource {
  const file = existsSync(from) && statSync(from).isDirectory() ? join(from, DATABASE_FILE) : from;
  if (!existsSync(file)) {
    throw new StoreCopyError(`no SQLite store at ${file}: --from names the backend's data dir (FP_DATA_DIR)`);
  }
  const db = new Database(file, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // The lock is taken by the first transaction and kept until the connection closes.
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (err) {
    db.close();
    if (codeOf(err) === 'SQLITE_BUSY') {
      throw new StoreCopyError(
        `${file} is in use (SQLite reports it locked): stop the backend using it first, then run the copy again`
      );
    }
    throw new StoreCopyError(`cannot open ${file}: ${messageOf(err)}`);
  }
  try {
    // Refused before anything is written: a file a newer build wrote.
    pendingMigrations(appliedMigrations(db), migrations);
  } catch (err) {
    db.close();
    throw new StoreCopyError(`${file}: ${messageOf(err)}`);
  }
  return {
    file,
    migrate: () => migrate(db, migrations, Date.now),
    schema() {
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all()
        .map((row) => decodeRow(tableRow, 'sqlite_master', row).name);
      return new Map(
        tables.map((t) => [
          t,
          db
            .prepare('SELECT name FROM pragma_table_info(?)')
            .all(t)
            .map((row) => decodeRow(columnRow, 'pragma_table_info', row).name),
        ])
      );
    },
    sequences() {
      return new Map(
        db
          .prepare('SELECT name, seq FROM sqlite_sequence')
          .all()
          .map((row) => {
            const { name, seq } = decodeRow(sequenceRow, 'sqlite_sequence', row);
            return [name, seq];
          })
      );
    },
    page(plan, after, limit) {
      const columns = plan.readColumns.map(quoted).join(', ');
      return db
        .prepare(
          `SELECT rowid AS _rowid_, ${columns} FROM ${quoted(plan.table)} WHERE rowid > ? ORDER BY rowid LIMIT ?`
        )
        .all(after, limit)
        .map((raw) => ({ rowid: decodeRow(rowidRow, plan.table, raw)._rowid_, raw }));
    },
    settings() {
      return db
        .prepare('SELECT key, value FROM settings ORDER BY key')
        .all()
        .map((row) => decodeRow(settingRow, 'settings', row));
    },
    close: () => db.close(),
  };
}

/** An identifier quoted for SQL (both stores use double quotes). */
export const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
