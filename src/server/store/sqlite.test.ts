import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { migrate, MigrationError, type Migration } from './migrate';
import { migrations } from './migrations';
import { StoredRowError } from './rows';
import { DATABASE_FILE, openSqliteStore } from './sqlite';

const killSwitchSchema = z.strictObject({ engaged: z.boolean(), by: z.string().optional() });

describe('the SQLite store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fp-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the database in the data dir with every migration applied, and keeps settings across a reopen', async () => {
    const store = openSqliteStore(join(dir, 'nested'));
    expect(store.kind).toBe('sqlite');
    await store.ping();
    await store.settings.set('killSwitch', { engaged: true, by: 'admin' });
    const applied = store.db.prepare('SELECT id FROM schema_migrations ORDER BY id').all() as Array<{ id: number }>;
    expect(applied.map((r) => r.id)).toEqual(migrations.map((m) => m.id).sort((a, b) => a - b));
    await store.close();

    const reopened = openSqliteStore(join(dir, 'nested'));
    expect(await reopened.settings.get('killSwitch', killSwitchSchema)).toEqual({ engaged: true, by: 'admin' });
    expect(await reopened.settings.get('absent', killSwitchSchema)).toBeUndefined();
    await reopened.close();
  });

  it('checks a saved value against its schema: one that does not fit fails naming its key and field', async () => {
    const store = openSqliteStore(dir);
    try {
      await store.settings.set('killSwitch', { engaged: 'yes' });
      await expect(store.settings.get('killSwitch', killSwitchSchema)).rejects.toThrow(StoredRowError);
      await expect(store.settings.get('killSwitch', killSwitchSchema)).rejects.toThrow(
        /^settings row killSwitch is invalid at engaged: /
      );
      store.db.prepare(`UPDATE settings SET value = '{"engaged": tru' WHERE key = 'killSwitch'`).run();
      await expect(store.settings.get('killSwitch', killSwitchSchema)).rejects.toThrow(
        /^settings row killSwitch is invalid at value: not JSON/
      );
      // Another key still reads.
      await store.settings.set('other', { engaged: false });
      expect(await store.settings.get('other', killSwitchSchema)).toEqual({ engaged: false });
    } finally {
      await store.close();
    }
  });

  it('leaves no copy of a replaced setting in the WAL: each settings write is checkpointed', async () => {
    const store = openSqliteStore(dir);
    try {
      await store.settings.set('token', { plain: 'first-secret-value' });
      await store.settings.set('token', { plain: 'replaced' });
      const wal = `${join(dir, DATABASE_FILE)}-wal`;
      expect(existsSync(wal) ? readFileSync(wal).includes('first-secret-value') : false).toBe(false);
      expect(readFileSync(join(dir, DATABASE_FILE)).includes('first-secret-value')).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('rejects from ping once closed', async () => {
    const store = openSqliteStore(dir);
    await store.close();
    await expect(store.ping()).rejects.toThrow(/not open/);
  });

  it('closes the file before close() returns when no WAL checkpointer runs (callers that do not wait)', async () => {
    const store = openSqliteStore(dir);
    const closing = store.close();
    expect(store.db.open).toBe(false);
    await closing;
  });
});

describe('migrate', () => {
  const first: Migration = { id: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER);' };
  const second: Migration = { id: 2, name: 'two', sql: 'CREATE TABLE b (y INTEGER);' };

  it('applies only what is new, in order', () => {
    const db = new Database(':memory:');
    expect(migrate(db, [second, first], () => 0)).toEqual([1, 2]);
    expect(migrate(db, [first, second], () => 0)).toEqual([]);
    db.close();
  });

  it('rolls a failed migration back whole and leaves the previous version', () => {
    const db = new Database(':memory:');
    migrate(db, [first], () => 0);
    const broken: Migration = { id: 2, name: 'broken', sql: 'CREATE TABLE c (z INTEGER); CREATE TABLE a (x INTEGER);' };
    expect(() => migrate(db, [first, broken], () => 0)).toThrow(/already exists/);
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>
    ).map((r) => r.name);
    expect(tables).not.toContain('c');
    expect((db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n).toBe(1);
    db.close();
  });

  it('refuses a database written by a newer backend', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fp-store-')), DATABASE_FILE);
    const db = new Database(file);
    migrate(db, [first, second], () => 0);
    expect(() => migrate(db, [first], () => 0)).toThrow(MigrationError);
    expect(() => migrate(db, [first], () => 0)).toThrow(/written by a newer version/);
    db.close();
  });
});
