import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * Bundles a test page entry (React, @grafana/ui, the app's real code) for the browser with
 * esbuild; returns the directory holding bundle.js and bundle.css for startGrafanaStub.
 */
export async function bundlePage(entry: string, name: string): Promise<string> {
  const outdir = join(__dirname, '../../artifacts/bundles', name);
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: { bundle: entry },
    outdir,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    sourcemap: 'inline',
    logLevel: 'error',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
    loader: { '.svg': 'text', '.woff': 'empty', '.woff2': 'empty', '.ttf': 'empty', '.png': 'dataurl' },
    // The app imports plugin.json through src/plugin.json (a symlink); esbuild follows it.
    preserveSymlinks: false,
  });
  return outdir;
}
