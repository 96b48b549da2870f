// Bundles the backend (src/server/main.ts) and its list worker (src/server/http/lists/worker.ts, run on
// worker threads beside it) into ESM files; npm packages stay external (better-sqlite3 is native, the
// rest are resolved from node_modules at run time).
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: { main: 'src/server/main.ts', listWorker: 'src/server/http/lists/worker.ts' },
  outdir: 'dist-server',
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
