import Database from 'better-sqlite3';
import { statementCache } from './statements';

describe('statementCache', () => {
  let db: Database.Database;
  beforeEach(() => {
    db = new Database(':memory:');
    db.exec('CREATE TABLE t (a INTEGER)');
  });
  afterEach(() => db.close());

  it('prepares each SQL text once and runs it with any parameters', () => {
    const prepare = jest.spyOn(db, 'prepare');
    const statement = statementCache(db);
    statement('INSERT INTO t (a) VALUES (?)').run(1);
    statement('INSERT INTO t (a) VALUES (?)').run(2);
    expect(statement('SELECT a FROM t WHERE a > ? ORDER BY a').all(0)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(statement('SELECT a FROM t WHERE a > ? ORDER BY a').all(1)).toEqual([{ a: 2 }]);
    expect(prepare).toHaveBeenCalledTimes(2);
  });

  it('holds at most `max` texts, and still answers each after starting again', () => {
    const prepare = jest.spyOn(db, 'prepare');
    const statement = statementCache(db, 2);
    for (const n of [1, 2, 3, 1]) {
      expect(statement(`SELECT ${n} AS n`).get()).toEqual({ n });
    }
    // 1 and 2 fill it; 3 starts it again; 1 was dropped with it, so it is prepared anew.
    expect(prepare).toHaveBeenCalledTimes(4);
    expect(statement('SELECT 1 AS n').get()).toEqual({ n: 1 });
    expect(prepare).toHaveBeenCalledTimes(4);
  });

  it('refuses SQL SQLite refuses, and keeps nothing for it', () => {
    const statement = statementCache(db);
    expect(() => statement('SELECT nope FROM t')).toThrow(/no such column/);
    expect(() => statement('SELECT nope FROM t')).toThrow(/no such column/);
  });
});
