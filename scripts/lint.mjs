// `npm run lint`: ESLint and Prettier side by side, failing if either fails. Each is mostly one core's
// work, so together they take about as long as ESLint alone. Both keep a cache for the next run
// (ESLint's .eslintcache, Prettier's in node_modules/.cache): a fresh clone checks every file.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const checks = [
  ['eslint', ['--cache', '.']],
  ['prettier', ['--check', '--cache', '--cache-strategy', 'content', '--log-level', 'warn', '.']],
];

/** The check's exit code; a signal or a failure to start counts as a failure. */
function run([tool, args]) {
  return new Promise((resolve) => {
    const child = spawn(join(root, 'node_modules', '.bin', tool), args, { cwd: root, stdio: 'inherit' });
    child.on('error', (err) => {
      console.error(`${tool} did not start: ${err.message}`);
      resolve(1);
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

const codes = await Promise.all(checks.map(run));
process.exitCode = codes.find((code) => code !== 0) ?? 0;
