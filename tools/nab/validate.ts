/**
 * `npm run nab:validate -- [--detector NAME] [--options JSON] [--published-minmax] [--note TEXT] [--nab DIR]`:
 * one look at the validation category (with `--options`, of the detector with those options, checked
 * by its schema and written into the logged row). Scores the detector on the 24 dev files (threshold
 * optimised there, per profile) and on `validation/` at that same threshold, prints both side by
 * side, and appends the look to the "Validation looks" table of benchmarks/RESULTS.md, so no look
 * goes unrecorded. Never tune on what this prints: choose settings with `npm run nab:tune`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_NAB, readCorpus, runSplit } from './corpus';
import { jsonObjectOption, parseArgs } from './nabFiles';
import { scoreAt, scoreCorpus } from './scorer';

const RESULTS = join(__dirname, '..', '..', 'benchmarks', 'RESULTS.md');
const SECTION = '### Validation looks';

/** Inserts a row after the last row of the table that follows SECTION; throws if there is none. */
export function appendLook(markdown: string, row: string): string {
  const lines = markdown.split('\n');
  const at = lines.findIndex((l) => l.trim() === SECTION);
  if (at < 0) {
    throw new Error(`benchmarks/RESULTS.md has no "${SECTION}" section to log the look in`);
  }
  let k = at + 1;
  while (k < lines.length && !lines[k].startsWith('|')) {
    k++;
  }
  if (k === lines.length) {
    throw new Error(`"${SECTION}" in benchmarks/RESULTS.md has no table`);
  }
  while (k < lines.length && lines[k].startsWith('|')) {
    k++;
  }
  lines.splice(k, 0, row);
  return lines.join('\n');
}

function revision(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown revision';
  }
}

function main(): void {
  const args = parseArgs(process.argv.slice(2), {
    detector: 'string',
    'published-minmax': 'boolean',
    nab: 'string',
    options: 'string',
    note: 'string',
  });
  const name = args.get('detector') || 'failureprophet';
  const hint = args.has('published-minmax');
  const corpus = readCorpus(args.get('nab') || DEFAULT_NAB);
  // Checked before looking, so a look cannot happen without its record.
  const before = readFileSync(RESULTS, 'utf8');
  appendLook(before, '');

  const optionsText = args.get('options');
  const parsed = jsonObjectOption(optionsText, '--options');
  const run = { options: parsed, publishedMinmax: hint };
  const dev = runSplit(name, corpus.dev, run);
  const validation = runSplit(name, corpus.validation, run);
  const cells: string[] = [];
  const devCells: string[] = [];
  console.log(
    `${name}${hint ? ' (--published-minmax)' : ''}: dev (threshold optimised there) | validation at that threshold`
  );
  for (const [profile, cost] of Object.entries(corpus.profiles)) {
    const d = scoreCorpus(dev, cost);
    const v = scoreAt(validation, cost, d.threshold);
    const found = v.files.reduce((n, f) => n + f.tp, 0);
    const fp = v.files.reduce((n, f) => n + f.fp, 0);
    console.log(
      `  ${profile.padEnd(20)} dev ${d.score.toFixed(2).padStart(6)} (threshold ${d.threshold.toFixed(4)}) | validation ${v.score.toFixed(2).padStart(6)} (${found} windows found, ${fp} false alarms)`
    );
    devCells.push(d.score.toFixed(2));
    cells.push(v.score.toFixed(2));
  }
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const withOptions = optionsText ? ` ${JSON.stringify(parsed)}` : '';
  const candidate = `${name}${withOptions}${hint ? ' --published-minmax' : ''} (${revision()})`;
  const note = (args.get('note') ?? '').replace(/\|/g, '/');
  const row = `| ${date} | ${candidate} | ${devCells.join(' / ')} | ${cells.join(' / ')} | ${note} |`;
  writeFileSync(RESULTS, appendLook(readFileSync(RESULTS, 'utf8'), row));
  console.log(`logged in benchmarks/RESULTS.md (${SECTION}): ${row}`);
}

if (require.main === module) {
  main();
}
