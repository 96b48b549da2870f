import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { configSchema } from '../../src/server/config/schema';
import { checkReadiness } from '../../src/server/http/readiness';
import { Pipeline } from '../../src/server/pipeline/pipeline';
import { DATABASE_FILE, openSqliteStore, type SqliteStore } from '../../src/server/store/sqlite';
import { registerStoreWritable } from '../../src/server/store/writeHealth';
import { spikingFleet, spikingWatchConfig } from '../harness/spikingFleet';
import { MINUTE, TestClock } from '../pipeline/helpers';

// The disk under the SQLite store fills while the backend runs. SQLite's max_page_count refuses to
// grow the file with SQLITE_FULL, the code it gives for ENOSPC too, so a real file stands in for
// a full disk without root.
const NOW = Date.UTC(2025, 3, 7, 12);

/** Caps the file at its size (SQLite refuses a lower cap) and fills its free pages and room in pages, as a full disk would be. */
function fillDisk(store: SqliteStore): void {
  store.db.exec('CREATE TABLE IF NOT EXISTS test_filler (b BLOB)');
  store.db.pragma(`max_page_count = ${Number(store.db.pragma('page_count', { simple: true }))}`);
  const fill = store.db.prepare('INSERT INTO test_filler VALUES (zeroblob(?))');
  for (const size of [4000, 400, 40]) {
    try {
      for (;;) {
        fill.run(size);
      }
    } catch (err) {
      expect(err).toMatchObject({ code: 'SQLITE_FULL' });
    }
  }
}

/**
 * The driver's error by its message and code, not `toThrow`: better-sqlite3 keeps the SqliteError
 * class of the first test file its addon met in this Jest worker, whose instances are no Error of
 * this file's realm, so `toThrow` says "did not throw" when another file ran first.
 */
const refusal = (message: string, code: string) => ({ message: expect.stringContaining(message), code });

function freeSpace(store: SqliteStore): void {
  store.db.pragma('max_page_count = 1073741823');
}

function open(dir: string, clock: TestClock) {
  const lines: string[] = [];
  const store = openSqliteStore(dir, clock.now, {
    writeLog: { warn: (m) => lines.push(`warn ${m}`), info: (m) => lines.push(`info ${m}`) },
  });
  return { store, lines };
}

/** What the store's write health says now: its refusal, or undefined while it writes. */
function writeRefusal(store: SqliteStore): unknown {
  try {
    store.writeHealth.check();
    return undefined;
  } catch (err) {
    return err;
  }
}

async function readiness(store: SqliteStore) {
  return checkReadiness({ store, prometheus: { ping: async () => undefined } });
}

describe('the disk under the SQLite store fills while the loop runs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fp-diskfull-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the loop going and what was committed, says it once, is not ready, and recovers by itself once space is back', async () => {
    const clock = new TestClock(NOW);
    const { store, lines } = open(dir, clock);
    let fleet = spikingFleet({ targets: 12, spikeAt: NOW + 4 * MINUTE });
    const metrics = new Registry();
    registerStoreWritable(metrics, store.writeHealth);
    const logged: Array<{ level: number; msg: string }> = [];
    const pipeline = new Pipeline({
      config: configSchema.parse(spikingWatchConfig),
      repository: store.pipeline,
      logger: pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) }),
      metrics,
      clock,
      querierFor: () => ({ queryRange: (q) => fleet.queryRange(q) }),
    });
    const writable = async () =>
      (await metrics.getSingleMetric('failureprophet_store_writable')!.get()).values[0].value;
    try {
      await pipeline.init();
      for (let c = 0; c < 3; c++) {
        await pipeline.runOnce();
        clock.advance(MINUTE);
      }
      const committed = await pipeline.repo.lastProcessed('w');
      expect(committed).not.toBeNull();
      expect(await readiness(store)).toMatchObject({ status: 'ready' });

      fillDisk(store);
      // New targets appear (pods scaled out), and the spike opens an anomaly: their rows need room the disk has not.
      fleet = spikingFleet({ targets: 40, spikeAt: NOW + 4 * MINUTE });
      for (let c = 0; c < 4; c++) {
        await pipeline.runOnce();
        clock.advance(MINUTE);
        expect(pipeline.watches()[0]).toMatchObject({ degraded: true, lastError: { kind: 'internal' } });
        expect(await readiness(store)).toMatchObject({
          status: 'not_ready',
          checks: { store: { ok: true }, storeWrites: { ok: false, message: 'store cannot write (full)' } },
        });
      }
      expect(await writable()).toBe(0);
      // The pipeline's own log says the failing cycles once too: four refused cycles, one error and one warning.
      expect(logged.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([
        expect.stringMatching(/^watch degraded: /),
        'watch cycle failed',
      ]);
      expect(await pipeline.repo.lastProcessed('w')).toBe(committed);
      expect(await pipeline.anomalies({})).toEqual([]);
      // Once per change of state, not per refused write.
      expect(lines).toEqual([
        expect.stringMatching(
          new RegExp(
            `^warn the store cannot write: ${join(dir, DATABASE_FILE)} cannot be written: database or disk is full; `
          )
        ),
      ]);

      freeSpace(store);
      await pipeline.runOnce();
      expect(pipeline.watches()[0].degraded).toBe(false);
      expect(await readiness(store)).toMatchObject({ status: 'ready' });
      expect(await writable()).toBe(1);
      expect(lines.slice(1)).toEqual([`info the store writes again: ${join(dir, DATABASE_FILE)}`]);
      // The refused cycles were scored again from the last committed checkpoint: the spike's anomaly is stored.
      expect((await pipeline.anomalies({})).map((a) => a.target)).toEqual(['w{job="j7"}']);
      expect(pipeline.watches()[0].targets).toBe(40);
    } finally {
      await pipeline.stop();
      await store.close();
    }
  });

  it.each([
    ['the disk fills', fillDisk, freeSpace, 'database or disk is full', 'SQLITE_FULL'],
    [
      // query_only refuses writes as a file system remounted read-only does, with SQLite's code for it.
      'the store turns read-only',
      (store: SqliteStore) => store.db.pragma('query_only = ON'),
      (store: SqliteStore) => store.db.pragma('query_only = OFF'),
      'attempt to write a readonly database',
      'SQLITE_READONLY',
    ],
  ])(
    'when %s, refuses an audit entry or a save with the driver error, keeps the entries before, and writes again once it can',
    async (_when, refuse, allow, error, code) => {
      const clock = new TestClock(NOW);
      const { store, lines } = open(dir, clock);
      const messages = () =>
        store.db.prepare('SELECT substr(message, 1, 1) FROM healing_audit ORDER BY id').pluck().all();
      try {
        const entry = (i: number) => ({
          at: NOW + i,
          kind: 'trigger_opened' as const,
          message: `${i} ${'x'.repeat(20_000)}`,
        });
        await store.healing.audit.append(entry(0));
        refuse(store);
        for (let i = 1; i <= 3; i++) {
          await expect(store.healing.audit.append(entry(i))).rejects.toMatchObject(refusal(error, code));
          await expect(store.settings.set('test.note', 'x'.repeat(20_000))).rejects.toMatchObject(refusal(error, code));
        }
        expect(writeRefusal(store)).toMatchObject({ code });
        expect(lines).toHaveLength(1);
        // A read does not say the store writes again.
        expect(messages()).toEqual(['0']);
        expect(writeRefusal(store)).toMatchObject({ code });

        allow(store);
        await store.healing.audit.append(entry(4));
        expect(store.writeHealth.writable).toBe(true);
        expect(lines).toHaveLength(2);
        expect(messages()).toEqual(['0', '4']);
      } finally {
        await store.close();
      }
    }
  );

  it('is ready again when another write grows the database, so a save nobody repeats does not keep the pod out of its Service', async () => {
    const { store, lines } = open(dir, new TestClock(NOW));
    try {
      fillDisk(store);
      await expect(store.settings.set('test.note', 'x'.repeat(20_000))).rejects.toMatchObject(
        refusal('database or disk is full', 'SQLITE_FULL')
      );
      expect(writeRefusal(store)).toMatchObject({ code: 'SQLITE_FULL' });
      freeSpace(store);
      await store.healing.audit.append({ at: NOW, kind: 'trigger_opened', message: 'x'.repeat(20_000) });
      expect(store.writeHealth.writable).toBe(true);
      expect(lines).toHaveLength(2);
    } finally {
      await store.close();
    }
  });
});

describe('the database file deleted or replaced under the running backend', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fp-moved-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['deleted', (file: string) => unlinkSync(file)],
    [
      'replaced by another file',
      (file: string) => {
        writeFileSync(`${file}.new`, '');
        renameSync(`${file}.new`, file);
      },
    ],
  ])('is not ready once the file is %s, and says so once, naming it', async (what, change) => {
    const { store, lines } = open(dir, new TestClock(NOW));
    const file = join(dir, DATABASE_FILE);
    try {
      expect(store.writeHealth.writable).toBe(true);
      change(file);
      for (let i = 0; i < 3; i++) {
        expect(await readiness(store)).toMatchObject({ status: 'not_ready' });
      }
      expect(lines).toEqual([
        `warn the store cannot write: ${file} was ${what} while the backend ran; what it writes from now on is lost when it stops: put the file back or restore it, then restart the backend`,
      ]);
    } finally {
      await store.close();
    }
  });
});
