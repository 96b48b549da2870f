import { join } from 'node:path';
import { build } from 'esbuild';

const ROOT = join(__dirname, '..', '..');

/**
 * Bundles the backend into `dir` as `npm run build:server` does (scripts/build-server.mjs): main.mjs,
 * ESM, npm packages external. `dir` must see the project's node_modules (below it, or a symlink in it).
 */
export async function bundleBackend(dir: string, version: string): Promise<string> {
  await build({
    entryPoints: { main: join(ROOT, 'src/server/main.ts') },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    define: { __FP_VERSION__: JSON.stringify(version) },
    logLevel: 'warning',
  });
  return join(dir, 'main.mjs');
}
