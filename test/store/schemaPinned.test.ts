import Database from 'better-sqlite3';
import pg from 'pg';
import { registerTriggerTarget } from '../../src/server/healing/store/actionFilter';
import { migrate } from '../../src/server/store/migrate';
import { migrations } from '../../src/server/store/migrations';
import { migratePostgres, postgresMigrations } from '../../src/server/store/postgres';
import { postgresForTests } from '../harness/postgres';

// A migration that has run somewhere must never change what it creates: a store migrated by an older
// release and a fresh one must hold the same schema. Both stores' whole schema after every migration
// is pinned here (the snapshot beside this file), so an edit to a released migration, or to a table
// declaration one is built from, fails until it is made a new migration instead.

/** SQL text as SQLite keeps it, without comments or layout (hand-written and generated DDL compare alike). */
function normalised(sql: string | null): string | null {
  return (
    sql
      ?.replace(/--[^\n]*/g, '')
      .replace(/\s+/g, ' ')
      .replace(/\s*([(),])\s*/g, '$1')
      .trim() ?? null
  );
}

test('SQLite: the schema every migration leaves', () => {
  const db = new Database(':memory:');
  try {
    registerTriggerTarget(db); // a function the migrations' index uses, as the store registers it
    migrate(db, migrations, () => 0);
    const objects = db
      .prepare<[], { type: string; name: string; tbl_name: string; sql: string | null }>(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
      )
      .all()
      .map((o) => `${o.type} ${o.name} on ${o.tbl_name}: ${normalised(o.sql)}`);
    expect(objects.length).toBeGreaterThan(20);
    expect(objects).toMatchSnapshot();
  } finally {
    db.close();
  }
});

describe('PostgreSQL', () => {
  const server = postgresForTests();

  test('the schema every migration leaves', async () => {
    const pool = new pg.Pool({ connectionString: await server().createDatabase('pinned'), max: 1 });
    try {
      await migratePostgres(pool, postgresMigrations);
      const columns = await pool.query<Record<string, string | null>>(
        `SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity, identity_generation
           FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`
      );
      const constraints = await pool.query<{ table_name: string; name: string; definition: string }>(
        `SELECT c.conrelid::regclass::text AS table_name, c.conname AS name, pg_get_constraintdef(c.oid) AS definition
           FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
          WHERE n.nspname = 'public' ORDER BY 1, 2`
      );
      const indexes = await pool.query<{ indexdef: string }>(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY tablename, indexname"
      );
      const triggers = await pool.query<{ definition: string }>(
        'SELECT pg_get_triggerdef(oid) AS definition FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname'
      );
      const functions = await pool.query<{ definition: string }>(
        `SELECT pg_get_functiondef(p.oid) AS definition FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = 'public' ORDER BY p.proname`
      );
      expect(columns.rows.length).toBeGreaterThan(50);
      expect({
        columns: columns.rows.map((c) => Object.values(c).join(' | ')),
        constraints: constraints.rows.map((c) => `${c.table_name} ${c.name}: ${c.definition}`),
        indexes: indexes.rows.map((i) => i.indexdef),
        triggers: triggers.rows.map((t) => t.definition),
        functions: functions.rows.map((f) => f.definition),
      }).toMatchSnapshot();
    } finally {
      await pool.end();
    }
  }, 60_000);
});
