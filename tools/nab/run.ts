/**
 * NAB runner: `npm run nab -- --data DIR --out DIR [--detector NAME]`. Streams every
 * `DIR/<category>/<file>.csv` through a fresh detector, one record at a time, and writes NAB
 * result files `OUT/<detector>/<category>/<detector>_<file>.csv`. The detector is told only the
 * probation length (as NAB tells its detectors); it never sees labels, file names or the file's
 * minimum and maximum.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createDetector, DETECTOR_NAMES } from '../../src/detection';
import { listDataFiles, parseArgs, readSeries } from './nabFiles';
import { probationLength } from './scorer';

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const data = args.get('data');
  const out = args.get('out');
  const name = args.get('detector') || 'failureprophet';
  if (!data || !out) {
    throw new Error('usage: npm run nab -- --data DIR --out DIR [--detector NAME]');
  }
  if (!DETECTOR_NAMES.includes(name)) {
    throw new Error(`unknown detector "${name}"; known: ${DETECTOR_NAMES.join(', ')}`);
  }
  const started = performance.now();
  let points = 0;
  for (const rel of listDataFiles(data)) {
    const series = readSeries(join(data, rel));
    const n = series.values.length;
    const detector = createDetector(name, { trainingPoints: probationLength(n) });
    const lines = ['timestamp,value,anomaly_score,label'];
    for (let i = 0; i < n; i++) {
      const score = detector.update(series.timestamps[i], series.values[i]);
      lines.push(`${series.timestampText[i]},${series.values[i]},${score},0`);
    }
    points += n;
    const [category, file] = rel.split('/');
    const target = join(out, name, category, `${name}_${file}`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, lines.join('\n') + '\n');
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`${name}: ${points} records in ${seconds.toFixed(2)} s -> ${join(out, name)}`);
}

main();
