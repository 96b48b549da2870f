// Bundles the backend (src/server/main.ts) into one ESM file; npm packages stay external
// (better-sqlite3 is native, the rest are resolved from node_modules at run time).
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: ['src/server/main.ts'],
  outfile: 'dist-server/main.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  define: { __FP_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
});
