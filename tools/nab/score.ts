/**
 * NAB scorer CLI: `npm run nab:score -- --results DIR --data DIR --windows FILE --profiles FILE`.
 * DIR is one detector's result folder (`OUT/<detector>`) or a folder of them (`OUT`); prints
 * each detector's score under every profile with the optimised threshold.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { listDataFiles, parseArgs, parseTimestamp, readSeries } from './nabFiles';
import { CostProfile, ScoredFile, scoreCorpus } from './scorer';

function loadResults(
  resultsDir: string,
  dataDir: string,
  windows: Record<string, Array<[string, string]>>
): ScoredFile[] {
  const detector = basename(resultsDir);
  return listDataFiles(dataDir).map((rel) => {
    const [category, file] = rel.split('/');
    const path = join(resultsDir, category, `${detector}_${file}`);
    if (!existsSync(path)) {
      throw new Error(`missing result file ${path}`);
    }
    const series = readSeries(path);
    const scores = series.columns.get('anomaly_score');
    if (!scores) {
      throw new Error(`${path} has no anomaly_score column`);
    }
    const limits = windows[rel];
    if (limits === undefined) {
      throw new Error(`windows file has no entry for ${rel}`);
    }
    return {
      name: rel,
      timestamps: series.timestamps,
      scores,
      windows: limits.map(([a, b]) => [parseTimestamp(a), parseTimestamp(b)] as [number, number]),
    };
  });
}

function main(): void {
  const args = parseArgs(process.argv.slice(2), {
    results: 'string',
    data: 'string',
    windows: 'string',
    profiles: 'string',
    verbose: 'boolean',
  });
  const results = args.get('results');
  const data = args.get('data');
  const windowsFile = args.get('windows');
  const profilesFile = args.get('profiles');
  if (!results || !data || !windowsFile || !profilesFile) {
    throw new Error('usage: npm run nab:score -- --results DIR --data DIR --windows FILE --profiles FILE [--verbose]');
  }
  const windows = JSON.parse(readFileSync(windowsFile, 'utf8'));
  const profiles: Record<string, { CostMatrix: CostProfile }> = JSON.parse(readFileSync(profilesFile, 'utf8'));
  const firstCategory = listDataFiles(data)[0].split('/')[0];
  const detectorDirs = existsSync(join(results, firstCategory))
    ? [results]
    : readdirSync(results)
        .sort()
        .map((d) => join(results, d))
        .filter((d) => statSync(d).isDirectory());
  for (const dir of detectorDirs) {
    const files = loadResults(dir, data, windows);
    const line: string[] = [];
    for (const [profileName, { CostMatrix }] of Object.entries(profiles)) {
      const r = scoreCorpus(files, CostMatrix);
      line.push(`${profileName} ${r.score.toFixed(2)} (threshold ${r.threshold.toFixed(4)})`);
      if (args.has('verbose')) {
        console.log(`${basename(dir)} ${profileName}`);
        for (const f of r.files) {
          console.log(`  ${f.name.padEnd(60)} tp ${f.tp} fp ${f.fp} fn ${f.fn} raw ${f.raw.toFixed(3)}`);
        }
      }
    }
    console.log(`${basename(dir)}: ${line.join(', ')}`);
  }
}

main();
