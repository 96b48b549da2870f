import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AnomalyTable } from '../../src/server/pipeline/store/anomalyTable';
import type { AnomalyRecord } from '../../src/server/pipeline/episodes';
import { migrate } from '../../src/server/store/migrate';
import { migrations } from '../../src/server/store/migrations';
import { DATABASE_FILE, openSqliteStore } from '../../src/server/store/sqlite';

const NOW = 1_700_000_000_000;
const record = (start: number, peak?: AnomalyRecord['peak']): AnomalyRecord => ({
  targetId: 'w{job="a"}',
  watch: 'w',
  labels: { job: 'a' },
  start,
  end: start + 600_000,
  peakScore: 0.8,
  peak,
  severity: 'medium',
  failureModel: 'resource_exhaustion',
  state: 'closed',
  signals: ['temperature'],
  direction: 'above',
  reasons: [],
});

describe('episode peaks in the store (migration 0009)', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'fp-peaks-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps the episodes stored before it (without a peak) and stores and updates the peak of new ones', () => {
    // The anomalies table as the builds before this migration left it, with one episode in it.
    const old = new Database(join(dataDir, DATABASE_FILE));
    migrate(
      old,
      migrations.filter((m) => m.id < 9),
      () => 0
    );
    old
      .prepare(
        `INSERT INTO anomalies (target_id, watch, labels, start_ms, end_ms, peak_score, severity, failure_model, state, signals, direction, reasons, created_at, updated_at)
         VALUES ('w{job="a"}', 'w', '{"job":"a"}', ?, ?, 0.5, 'low', 'crash', 'closed', '[]', 'below', '[]', 0, 0)`
      )
      .run(NOW - 3_600_000, NOW - 3_000_000);
    old.close();

    const store = openSqliteStore(dataDir, () => NOW);
    try {
      const table = new AnomalyTable(store.db);
      const peak = { at: NOW + 300_000, signal: 'temperature', value: 104.2, expected: 96.5 };
      const id = table.upsert(record(NOW, peak), NOW);
      expect(table.anomaly(id)?.peak).toEqual(peak);
      // Extending the open episode to a higher peak moves it; a peak without an expected value reads back as such.
      const higher = { at: NOW + 600_000, signal: 'temperature', value: 106, expected: null };
      expect(table.upsert(record(NOW, higher), NOW)).toBe(id);
      const [fresh, before] = table.page({}).anomalies;
      expect(fresh.peak).toEqual(higher);
      expect(before).toMatchObject({ start: NOW - 3_600_000, peakScore: 0.5 });
      expect(before.peak).toBeUndefined();
    } finally {
      store.close();
    }
  });

  it('refuses a stored peak that is not one, saying which column', () => {
    const store = openSqliteStore(dataDir, () => NOW);
    try {
      const table = new AnomalyTable(store.db);
      const id = table.upsert(record(NOW), NOW);
      store.db.prepare(`UPDATE anomalies SET peak = '{"at":"soon"}' WHERE id = ?`).run(id);
      expect(() => table.anomaly(id)).toThrow(/peak/);
    } finally {
      store.close();
    }
  });
});
