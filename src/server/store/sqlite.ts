import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { prepareDataDir } from './dataDir';
import { migrate } from './migrate';
import { migrations } from './migrations';
import { decodeSetting } from './rows';
import { ephemeralSecretBox, loadSecretBox, SECRET_KEY_FILE, type SecretBox } from './secrets';
import { SqliteActionRepository } from '../healing/store/actions';
import { registerTriggerTarget } from '../healing/store/actionFilter';
import { SqliteAuditRepository } from '../healing/store/audit';
import { SqliteBreakerRepository } from '../healing/store/breakers';
import { registerCaseFolding } from '../pipeline/store/caseFolding';
import { SqlitePipelineRepository } from '../pipeline/store/sqliteRepository';
import type { SettingsRepository, Store } from './store';
import { WalCheckpoints } from './walCheckpoints';
import { sqliteWriteProbe, StoreWriteHealth, UNHEARD, watchWrites, type WriteHealthLog } from './writeHealth';

export const DATABASE_FILE = 'failureprophet.db';

export interface SqliteStore extends Store {
  readonly kind: 'sqlite';
  /** The open database, for the repositories of other rooms built on this store (the pipeline's). */
  readonly db: Database.Database;
  /** The worker writing the WAL back, when asked for (SqliteOptions.walCheckpoints). */
  readonly walCheckpoints?: WalCheckpoints;
}

export interface SqliteOptions {
  /** Told once per file whose mode was looser than owner-only and has been tightened. */
  warn?: (message: string) => void;
  /** Default: FP_SECRET_KEY, else `secret.key` beside the database (in memory for ':memory:'). */
  secrets?: SecretBox;
  env?: NodeJS.ProcessEnv;
  /** Told when the store stops, and starts again, being able to write (/readyz says it either way). */
  writeLog?: WriteHealthLog;
  /**
   * The WAL written back on a worker thread after each cycle's commit (WalCheckpoints) instead of
   * inside commits; told if that worker stops (the commits take the checkpoints back). Files only.
   */
  walCheckpoints?: { onStopped: (why: string) => void };
}

/**
 * Opens (creating when needed) the embedded database in dataDir and brings its schema up to date.
 * The data dir is kept 0700 and the database, its WAL and shared-memory files and the secret key
 * 0600: they hold the Kubernetes access and the audit log.
 */
export function openSqliteStore(
  dataDir: string,
  now: () => number = Date.now,
  options: SqliteOptions = {}
): SqliteStore {
  prepareDataDir(dataDir);
  ownerOnly(dataDir, 0o700, options.warn);
  const secrets = options.secrets ?? loadSecretBox(dataDir, options.env);
  ownerOnly(join(dataDir, SECRET_KEY_FILE), 0o600, options.warn);
  return openSqliteDatabase(join(dataDir, DATABASE_FILE), now, { ...options, secrets });
}

export function openSqliteDatabase(
  file: string,
  now: () => number = Date.now,
  options: SqliteOptions = {}
): SqliteStore {
  const inMemory = file === ':memory:';
  if (!inMemory) {
    // SQLite creates the WAL and shared-memory files with the database file's mode, so it is set first.
    closeSync(openSync(file, 'a', 0o600));
    ownerOnly(file, 0o600, options.warn);
  }
  const secrets = options.secrets ?? (inMemory ? ephemeralSecretBox() : loadSecretBox(dirname(file), options.env));
  const db = new Database(file);
  // WAL keeps readers (the API) from blocking the writer (the loop); NORMAL sync is durable in WAL mode
  // against process crashes, which is the failure the action lifecycle must survive.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // A replaced secret (a plain token sealed, a token changed) leaves no readable copy in free pages.
  db.pragma('secure_delete = ON');
  // Migration 0016 fills old triggers' targets through it.
  registerTriggerTarget(db);
  // The lists' `q` filters fold case through it, as memory and PostgreSQL do.
  registerCaseFolding(db);
  migrate(db, migrations, now);
  if (!inMemory) {
    for (const suffix of ['-wal', '-shm']) {
      ownerOnly(`${file}${suffix}`, 0o600, options.warn);
    }
  }
  const upsert = db.prepare(
    `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`
  );
  const saveSetting = (key: string, value: unknown) => void upsert.run(key, JSON.stringify(value), now());
  const audit = new SqliteAuditRepository(db, saveSetting);
  const write = (entry: Parameters<SqliteAuditRepository['write']>[0]) => audit.write(entry);
  const writeHealth = new StoreWriteHealth(sqliteWriteProbe(db, file), options.writeLog ?? UNHEARD);
  const watched = <T extends object>(name: string, repository: T) => watchWrites(name, repository, writeHealth);
  const checkpoints =
    options.walCheckpoints && !inMemory ? new WalCheckpoints(db, file, options.walCheckpoints.onStopped) : undefined;
  return {
    kind: 'sqlite',
    db,
    walCheckpoints: checkpoints,
    writeHealth,
    ping: async () => {
      db.prepare('SELECT 1').get();
    },
    settings: watched('settings', sqliteSettings(db, saveSetting, secrets)),
    healing: {
      actions: watched('actions', new SqliteActionRepository(db, write)),
      audit: watched('audit', audit),
      breakers: watched('breakers', new SqliteBreakerRepository(db, write)),
    },
    pipeline: watched('pipeline', new SqlitePipelineRepository(db, now, () => checkpoints?.committed(), options.warn)),
    close: async () => {
      // Without a checkpointer the file closes before this returns, as callers that do not wait have always had it.
      if (checkpoints) {
        await checkpoints.close();
      }
      db.close();
    },
  };
}

/** Takes group and other permissions away from an existing path, saying so once; absent paths are left. */
function ownerOnly(path: string, mode: number, warn?: (message: string) => void): void {
  let current: number;
  try {
    current = statSync(path).mode & 0o777;
  } catch {
    return;
  }
  if ((current & 0o077) !== 0) {
    chmodSync(path, mode);
    warn?.(
      `${path} was readable by others (mode ${current.toString(8).padStart(4, '0')}): set to ${mode.toString(8).padStart(4, '0')}`
    );
  }
}

function sqliteSettings(
  db: Database.Database,
  saveSetting: (key: string, value: unknown) => void,
  secrets: SecretBox
): SettingsRepository {
  const select = db.prepare('SELECT value FROM settings WHERE key = ?');
  return {
    secrets,
    async get<S extends z.ZodType>(key: string, schema: S): Promise<z.output<S> | undefined> {
      const row = select.get(key);
      return row === undefined ? undefined : decodeSetting(schema, key, row);
    },
    async set<T>(key: string, value: T) {
      saveSetting(key, value);
      // The replaced value (a plain Kubernetes token sealed in place, a token changed) would stay
      // readable in the WAL until the next checkpoint: writing the WAL back now, with
      // secure_delete, leaves no copy. Settings change rarely (an Admin's save), so this is cheap.
      db.pragma('wal_checkpoint(TRUNCATE)');
    },
  };
}
