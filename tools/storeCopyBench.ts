/**
 * npx tsx tools/storeCopyBench.ts [anomalies] [targets]: how long `store:copy` takes for a SQLite
 * store of `anomalies` anomalies (default 100,000), as many audit entries, and `targets` learned
 * target states (default 10,000), into a throwaway PostgreSQL cluster (test/harness/postgres) on this
 * machine. Prints one JSON line: the file's size, rows, time, rows/s and the load average around it.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobTarget, testSettings } from '../src/server/pipeline/testTargets';
import { copyStore } from '../src/server/store/copy/copy';
import { DATABASE_FILE, openSqliteStore } from '../src/server/store/sqlite';
import { anomalyRecord } from '../test/harness/anomalyRecords';
import { startPostgres } from '../test/harness/postgres';

const MINUTE = 60_000;
const CHUNK = 1_000;

async function main(anomalies: number, targets: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fp-copy-bench-'));
  const pg = await startPostgres();
  try {
    const store = openSqliteStore(dir);
    const model = jobTarget('x', testSettings({ stepMs: MINUTE, probation: 3, closeAfter: 2 }), 0.5);
    model.signalIndex({ name: 'x', kind: 'cpu', limits: { above: 1 } });
    for (let i = 0; i < 200; i++) {
      model.step(i * MINUTE, [0.2 + (i % 3) / 10]);
    }
    const state = model.toState();
    const cycle = { watch: 'w', predictions: [], forgotten: [] };
    await store.pipeline.commitCycle({
      ...cycle,
      lastProcessed: 1,
      anomalies: [],
      targets: Array.from({ length: targets }, (_, i) => ({
        id: `w{job="t${i}"}`,
        watch: 'w',
        labels: { job: `t${i}` },
        state,
      })),
    });
    for (let from = 0; from < anomalies; from += CHUNK) {
      const n = Math.min(CHUNK, anomalies - from);
      const records = Array.from({ length: n }, (_, i) => anomalyRecord(from + i));
      await store.pipeline.commitCycle({ ...cycle, lastProcessed: 2, targets: [], anomalies: records });
      for (let i = 0; i < n; i++) {
        await store.healing.audit.append({
          at: from + i,
          kind: 'waiting',
          message: `entry ${from + i}`,
          details: { i },
        });
      }
    }
    await store.close();
    const bytes = statSync(join(dir, DATABASE_FILE)).size;
    const url = await pg.createDatabase('bench');
    const loadBefore = loadavg().map((x) => x.toFixed(2));
    const start = performance.now();
    const report = await copyStore({ from: dir, to: url });
    const ms = Math.round(performance.now() - start);
    const rows = report.tables.reduce((n, t) => n + t.rows, 0);
    const loadAfter = loadavg().map((x) => x.toFixed(2));
    const at = new Date().toISOString();
    process.stdout.write(
      `${JSON.stringify({ at, bytes, rows, ms, rowsPerSecond: Math.round(rows / (ms / 1000)), loadBefore, loadAfter })}\n`
    );
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main(Number(process.argv[2] ?? 100_000), Number(process.argv[3] ?? 10_000));
