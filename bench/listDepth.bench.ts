/**
 * The healing lists read deep (round 20, ops20): the oldest page of the audit log (1,000,000 entries)
 * and of the actions (100,000) on SQLite, as a Viewer could ask it, by offset on the old code (a
 * `git archive` of FP_BENCH_DEPTH_BASE, main) and by cursor on this tree, each in processes of its own
 * (bench/listDepthProcess.ts), alternating FP_BENCH_DEPTH_ROUNDS times (3), with the load average.
 * The file is written once, by the old code, and copied for the new (its migration adds an index).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkout } from './intake.bench';

const ROOT = join(__dirname, '..');
const BASE = process.env.FP_BENCH_DEPTH_BASE ?? 'main';
const ROUNDS = Number(process.env.FP_BENCH_DEPTH_ROUNDS ?? 3);

const ACTION = JSON.stringify({
  type: 'scale',
  target: { kind: 'deployment', namespace: 'shop', name: 'web' },
  replicas: 4,
  ceiling: 10,
});

/** 1,000,000 audit entries (two kinds, alternating) and 100,000 actions on their triggers, written by `root`'s code. */
async function fill(root: string, file: string): Promise<void> {
  const { openSqliteDatabase } = await import(join(root, 'src/server/store/sqlite.ts'));
  const { ephemeralSecretBox } = await import(join(root, 'src/server/store/secrets.ts'));
  const store = openSqliteDatabase(file, () => 0, { secrets: ephemeralSecretBox() });
  store.db.exec(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000000)
    INSERT INTO healing_audit (at, kind, action_id, trigger_id, message)
    SELECT 1700000000000 + i, CASE WHEN i % 2 = 0 THEN 'waiting' ELSE 'proposed' END, i / 10, CAST(i / 10 + 1 AS TEXT),
      'entry ' || i FROM c`);
  store.db.exec(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100000)
    INSERT INTO healing_triggers (key, source, trigger, opened_at, closed_at)
    SELECT 'anomaly:' || i, 'anomaly', json_object('source', 'anomaly', 'id', i, 'watch', 'memory',
      'labels', json_object('namespace', 'shop'), 'severity', 'critical', 'startedAt', 1700000000000 + i),
      1700000000000 + i, 1700000000001 + i FROM c`);
  store.db.exec(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100000)
    INSERT INTO healing_actions (trigger_key, policy, gate, action_type, target, namespace, state, action, created_at, updated_at)
    SELECT 'anomaly:' || i, 'p', 'approve', 'scale', 'deployment shop/web', 'shop',
      CASE WHEN i % 50 = 0 THEN 'awaiting_approval' ELSE 'succeeded' END, '${ACTION}', 1700000000000 + i, 1700000000000 + i
    FROM c`);
  store.close();
}

interface Page {
  page: string;
  ids: string;
  medianMs: number;
  maxMs: number;
}

function once(root: string, file: string, paging: 'offset' | 'cursor'): Page[] {
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'listDepthProcess.ts')], {
    cwd: ROOT,
    env: { ...process.env, FP_DEPTH_ROOT: root, FP_DEPTH_FILE: file, FP_DEPTH_PAGING: paging },
    encoding: 'utf8',
  });
  if (child.status !== 0) {
    throw new Error(`list depth process exited ${child.status}: ${child.stderr}`);
  }
  return child.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Page);
}

export async function run(): Promise<void> {
  const old = checkout(BASE);
  const dir = mkdtempSync(join(tmpdir(), 'fp-depth-'));
  try {
    const files = { old: join(dir, 'old.db'), new: join(dir, 'new.db') };
    await fill(old, files.old);
    copyFileSync(files.old, files.new);
    console.log(`old: ${BASE} (git archive) by offset, new: this tree by cursor; 31 reads a page, median / highest ms`);
    console.log('code  page                          ids                 median    max   load (1 min)');
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, root, paging] of [
        ['old', old, 'offset'],
        ['new', ROOT, 'cursor'],
      ] as const) {
        for (const p of once(root, files[name], paging)) {
          console.log(
            `${name}   ${p.page.padEnd(28)}  ${p.ids.padEnd(18)} ${p.medianMs.toFixed(2).padStart(7)} ${p.maxMs.toFixed(1).padStart(6)}   ${loadavg()[0].toFixed(2)}`
          );
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
}
