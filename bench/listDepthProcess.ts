/**
 * One process of bench/listDepth.bench.ts: the healing lists of the code at FP_DEPTH_ROOT on the
 * SQLite file FP_DEPTH_FILE (1,000,000 audit entries, 100,000 actions), each page asked 31 times.
 * Prints one JSON line per page: its first and last id and the median and highest time of a read.
 * The last page is asked as the code can: by offset (before keyset pages), or by the cursor its
 * newer neighbour gives (FP_DEPTH_PAGING=cursor).
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const ROOT = process.env.FP_DEPTH_ROOT ?? join(__dirname, '..');
const FILE = process.env.FP_DEPTH_FILE ?? '';
const CURSOR = process.env.FP_DEPTH_PAGING === 'cursor';

async function main(): Promise<void> {
  const { openSqliteDatabase } = await import(join(ROOT, 'src/server/store/sqlite.ts'));
  const { ephemeralSecretBox } = await import(join(ROOT, 'src/server/store/secrets.ts'));
  const { auditQuerySchema, actionListQuerySchema } = await import(join(ROOT, 'src/contract/healing.ts'));
  const store = openSqliteDatabase(FILE, () => 0, { secrets: ephemeralSecretBox() });
  const last = (offset: number, cursor: string) => (CURSOR ? { cursor } : { offset });
  const pages: Array<[string, () => Promise<{ items: Array<{ id: number }> }>]> = [
    ['audit, newest', () => store.healing.audit.list(auditQuerySchema.parse({}))],
    ['audit, oldest', () => store.healing.audit.list(auditQuerySchema.parse(last(999_950, 'o51')))],
    [
      'audit of one kind, oldest',
      () => store.healing.audit.list(auditQuerySchema.parse({ kind: 'waiting', ...last(499_950, 'o101') })),
    ],
    ['actions, newest', () => store.healing.actions.list(actionListQuerySchema.parse({}))],
    ['actions, oldest', () => store.healing.actions.list(actionListQuerySchema.parse(last(99_950, 'o51')))],
  ];
  for (const [page, read] of pages) {
    const times: number[] = [];
    let ids = '';
    for (let i = 0; i < 31; i++) {
      const t = performance.now();
      const { items } = await read();
      times.push(performance.now() - t);
      ids = `${items[0]?.id}..${items.at(-1)?.id}`;
    }
    times.sort((a, b) => a - b);
    console.log(JSON.stringify({ page, ids, medianMs: times[15], maxMs: times[30] }));
  }
  store.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
