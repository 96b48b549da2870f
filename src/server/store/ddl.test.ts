import Database from 'better-sqlite3';
import { createTable, type TableDefinition } from './ddl';

const SAMPLES: TableDefinition = {
  name: 'samples',
  columns: { id: 'id', target_id: 'text', at: 'bigint', n: 'int', value: 'real?', doc: 'json' },
  unique: { samples_target_at: ['target_id', 'at'] },
  indexes: { samples_at: ['at', 'id'] },
};

describe('createTable', () => {
  it("writes one definition in each store's types, NOT NULL unless `?`, the unique key named on PostgreSQL, then the indexes", () => {
    expect(createTable('sqlite', SAMPLES)).toBe(
      `CREATE TABLE samples (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  target_id TEXT NOT NULL,
  at        INTEGER NOT NULL,
  n         INTEGER NOT NULL,
  value     REAL,
  doc       TEXT NOT NULL,
  UNIQUE (target_id, at)
);
CREATE INDEX samples_at ON samples (at, id);`
    );
    expect(createTable('postgres', SAMPLES)).toBe(
      `CREATE TABLE samples (
  id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  target_id TEXT NOT NULL,
  at        BIGINT NOT NULL,
  n         INTEGER NOT NULL,
  value     DOUBLE PRECISION,
  doc       JSONB NOT NULL,
  CONSTRAINT samples_target_at UNIQUE (target_id, at)
);
CREATE INDEX samples_at ON samples (at, id);`
    );
  });

  it('declares a composite primary key', () => {
    const db = new Database(':memory:');
    try {
      db.exec(
        createTable('sqlite', { name: 'pairs', columns: { a: 'text', b: 'text', c: 'int?' }, primaryKey: ['a', 'b'] })
      );
      expect(db.prepare('SELECT name, "notnull", pk FROM pragma_table_info(?)').all('pairs')).toEqual([
        { name: 'a', notnull: 1, pk: 1 },
        { name: 'b', notnull: 1, pk: 2 },
        { name: 'c', notnull: 0, pk: 0 },
      ]);
    } finally {
      db.close();
    }
  });
});
