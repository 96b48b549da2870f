/**
 * NAB runner: `npm run nab -- --data DIR --out DIR [--detector NAME] [--options JSON] [--published-minmax]`.
 * Streams every `DIR/<category>/<file>.csv` through a fresh detector, one record at a time, and
 * writes NAB result files `OUT/<detector>/<category>/<detector>_<file>.csv`. The detector is told
 * only the probation length (as NAB tells its detectors) and, with `--options`, the settings a watch
 * could give it (validated as the product validates them); it never sees labels or file names.
 * Only with `--published-minmax` is it also told the file's minimum and maximum, as NAB told the
 * published detectors: that checks a re-implementation against its published figure and is never
 * what the product does.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createDetectorFromConfig, DETECTOR_NAMES } from '../../src/detection';
import { InputRange, isDetectorName } from '../../src/detection/registry';
import { jsonObjectOption, listDataFiles, parseArgs, readSeries } from './nabFiles';
import { probationLength } from './scorer';

/** The file's finite minimum and maximum: what NAB handed its detectors before the run. */
function rangeOf(values: Float64Array): InputRange {
  let inputMin = Infinity;
  let inputMax = -Infinity;
  for (const v of values) {
    if (Number.isFinite(v)) {
      inputMin = Math.min(inputMin, v);
      inputMax = Math.max(inputMax, v);
    }
  }
  if (inputMin > inputMax) {
    throw new Error('--published-minmax: a file has no finite value');
  }
  return { inputMin, inputMax };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2), {
    data: 'string',
    out: 'string',
    detector: 'string',
    options: 'string',
    'published-minmax': 'boolean',
  });
  const options = jsonObjectOption(args.get('options'), '--options');
  const publishedMinMax = args.has('published-minmax');
  const data = args.get('data');
  const out = args.get('out');
  const name = args.get('detector') || 'failureprophet';
  if (!data || !out) {
    throw new Error(
      'usage: npm run nab -- --data DIR --out DIR [--detector NAME] [--options JSON] [--published-minmax]'
    );
  }
  if (!isDetectorName(name)) {
    throw new Error(`unknown detector "${name}"; known: ${DETECTOR_NAMES.join(', ')}`);
  }
  const started = performance.now();
  let points = 0;
  for (const rel of listDataFiles(data)) {
    const series = readSeries(join(data, rel));
    const n = series.values.length;
    const range = publishedMinMax ? rangeOf(series.values) : undefined;
    const detector = createDetectorFromConfig(name, { ...options, trainingPoints: probationLength(n) }, range);
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
  const hint = publishedMinMax ? " (told each file's min/max: --published-minmax)" : '';
  console.log(`${name}${hint}: ${points} records in ${seconds.toFixed(2)} s -> ${join(out, name)}`);
}

main();
