import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqlitePipelineRepository } from '../pipeline/store/sqliteRepository';
import { DATABASE_FILE, openSqliteStore } from './sqlite';
import { BACKSTOP_PAGES, WalCheckpoints } from './walCheckpoints';

/** Pages past SQLite's automatic checkpoint (1,000), which the old commits would have copied themselves. */
const ROWS = 1_500;

function writeRows(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, blob BLOB)');
  const insert = db.prepare('INSERT INTO filler (blob) VALUES (?)');
  db.transaction(() => {
    for (let k = 0; k < ROWS; k++) {
      insert.run(Buffer.alloc(3_500, k % 251));
    }
  })();
}

describe('WAL checkpoints on a worker thread', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fp-wal-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves a large commit in the WAL, and the worker writes it into the database file', async () => {
    const stopped = jest.fn();
    const store = openSqliteStore(dir, () => 0, { walCheckpoints: { onStopped: stopped } });
    try {
      const file = join(dir, DATABASE_FILE);
      const before = statSync(file).size;
      writeRows(store.db);
      // The commit did not copy its pages into the file (SQLite's default would have, past 1,000).
      expect(statSync(file).size).toBe(before);
      expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_PAGES);
      const checkpoint = await store.walCheckpoints!.request();
      expect(checkpoint.busy).toBe(0);
      expect(checkpoint.checkpointed).toBe(checkpoint.log);
      expect(checkpoint.log).toBeGreaterThan(ROWS);
      expect(statSync(file).size).toBeGreaterThan(ROWS * 3_500);
      expect(stopped).not.toHaveBeenCalled();
    } finally {
      await store.close();
    }
    // Closed: the worker is stopped and not reported as a fault.
    await expect(store.walCheckpoints!.request()).rejects.toThrow(/closing/);
  });

  it("asks for a checkpoint after each cycle's commit, once committed", async () => {
    const store = openSqliteStore(dir);
    const committed = jest.fn();
    try {
      const repo = new SqlitePipelineRepository(store.db, () => 0, committed);
      const write = { watch: 'w', lastProcessed: 5, targets: [], anomalies: [], predictions: [], forgotten: [] };
      await repo.commitCycle(write);
      expect(committed).toHaveBeenCalledTimes(1);
      await expect(repo.lastProcessed('w')).resolves.toBe(5);
      // A failed transaction asks for nothing.
      const failing = new SqlitePipelineRepository(store.db, () => 0, committed);
      const broken = {
        ...write,
        targets: {
          *[Symbol.iterator]() {
            throw new Error('state not buildable');
          },
        },
      };
      await expect(failing.commitCycle(broken)).rejects.toThrow(/not buildable/);
      expect(committed).toHaveBeenCalledTimes(1);
    } finally {
      await store.close();
    }
  });

  it('answers every request made while one runs', async () => {
    const store = openSqliteStore(dir, () => 0, { walCheckpoints: { onStopped: jest.fn() } });
    try {
      writeRows(store.db);
      const answers = await Promise.all([1, 2, 3].map(() => store.walCheckpoints!.request()));
      expect(answers.at(-1)!.checkpointed).toBe(answers.at(-1)!.log);
    } finally {
      await store.close();
    }
  });

  it('gives the commits their checkpoints back, and says why, when the worker cannot run', async () => {
    const db = new Database(join(dir, 'x.db'));
    db.pragma('journal_mode = WAL');
    const stopped = jest.fn();
    const checkpoints = new WalCheckpoints(db, join(dir, 'x.db'), stopped, join(dir, 'no-such-driver.js'));
    try {
      await expect(checkpoints.request()).rejects.toThrow(/no-such-driver/);
      expect(stopped).toHaveBeenCalledWith(expect.stringMatching(/no-such-driver/));
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000);
      await expect(checkpoints.request()).rejects.toThrow(/no-such-driver/);
      expect(stopped).toHaveBeenCalledTimes(1);
    } finally {
      await checkpoints.close();
      db.close();
    }
  });
});
