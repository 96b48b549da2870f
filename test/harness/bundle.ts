import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '..', '..');

/**
 * Bundles the backend into `dir` with the project's own build (scripts/build-server.mjs, as `npm run
 * build:server` runs it); returns its main.mjs. `dir` must see the project's node_modules (below it,
 * or a symlink in it).
 */
export async function bundleBackend(dir: string): Promise<string> {
  await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'build-server.mjs')], {
    cwd: ROOT,
    env: { ...process.env, FP_BUILD_OUTDIR: dir },
  });
  return join(dir, 'main.mjs');
}
