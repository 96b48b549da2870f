// Bundles the backend (src/server/main.ts) into one ESM file; npm packages stay external
// (better-sqlite3 is native, the rest are resolved from node_modules at run time).
// FP_BUILD_OUTDIR: where main.mjs goes (default dist-server); tests bundle into folders of their own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: [fileURLToPath(new URL('../src/server/main.ts', import.meta.url))],
  outfile: join(process.env.FP_BUILD_OUTDIR ?? 'dist-server', 'main.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  define: { __FP_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
});
