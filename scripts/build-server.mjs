// Bundles the backend (src/server/main.ts), its list worker (src/server/http/lists/worker.ts, run on
// worker threads beside it) and the store copy (tools/storeCopy.ts, `node dist-server/storeCopy.mjs`)
// into ESM files; npm packages stay external (better-sqlite3 is native, the rest are resolved from
// node_modules at run time).
// FP_BUILD_OUTDIR: where main.mjs and listWorker.mjs go (default dist-server); tests bundle into folders
// of their own. FP_BUILD_BENCH=1 adds the fleet bench's pipeline process (bench/pipelineProcess.ts), so the
// bench measures the pipeline built as the backend is, not transpiled by tsx.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const source = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));

await build({
  entryPoints: {
    main: source('src/server/main.ts'),
    listWorker: source('src/server/http/lists/worker.ts'),
    // npm run store:copy as the image runs it (tools/storeCopy.ts): SQLite's store into PostgreSQL.
    storeCopy: source('tools/storeCopy.ts'),
    ...(process.env.FP_BUILD_BENCH ? { pipelineProcess: source('bench/pipelineProcess.ts') } : {}),
  },
  outdir: process.env.FP_BUILD_OUTDIR ?? 'dist-server',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  define: { __FP_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
});
