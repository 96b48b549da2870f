import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDetector, type DetectorName } from '../../src/detection';
import { readCorpus, runSplit } from './corpus';
import { listDataFiles, parseTimestamp, readSeries } from './nabFiles';
import { probationLength, ScoredFile, scoreCorpus } from './scorer';

const NAB = join(__dirname, '..', '..', '..', 'shared', 'nab');
const present = existsSync(join(NAB, 'windows.json'));
if (!present) {
  console.warn(`NAB corpus not found at ${NAB}: skipping the NAB end-to-end test (CI has it).`);
}

/** Runs a detector over the development split exactly as `npm run nab` does and scores it. */
function nabScore(name: DetectorName): number {
  const windows = JSON.parse(readFileSync(join(NAB, 'windows.json'), 'utf8'));
  const files: ScoredFile[] = listDataFiles(join(NAB, 'data')).map((rel) => {
    const s = readSeries(join(NAB, 'data', rel));
    const d = createDetector(name, { trainingPoints: probationLength(s.values.length) });
    const scores = Float64Array.from(s.values, (v, i) => d.update(s.timestamps[i], v));
    return {
      name: rel,
      timestamps: s.timestamps,
      scores,
      windows: windows[rel].map(([a, b]: [string, string]) => [parseTimestamp(a), parseTimestamp(b)]),
    };
  });
  return scoreCorpus(files, { tpWeight: 1, fnWeight: 1, fpWeight: 0.11 }).score;
}

(present ? describe : describe.skip)('NAB development split', () => {
  it('failureprophet beats the Isolation Forest baseline of the original design by a wide margin', () => {
    const ours = nabScore('failureprophet');
    const baseline = nabScore('iforest');
    // 72.36 at the time of writing (benchmarks/RESULTS.md); the bar on this split is ARTime's 68.77.
    expect(ours).toBeGreaterThan(68.77);
    expect(ours).toBeGreaterThan(baseline + 20);
  });

  it('the ARTime port, given the min/max as NAB gave it, scores within 3 points of the published 68.77', () => {
    const files = runSplit('artime', readCorpus(NAB).dev, { publishedMinmax: true });
    const score = scoreCorpus(files, { tpWeight: 1, fnWeight: 1, fpWeight: 0.11 }).score;
    // 69.89 at the time of writing (benchmarks/RESULTS.md).
    expect(Math.abs(score - 68.77)).toBeLessThanOrEqual(3);
  });

  it('the ARTime port without the hint, estimating its range from the probation, scores within 4 points of the hinted one', () => {
    const standard = { tpWeight: 1, fnWeight: 1, fpWeight: 0.11 };
    const dev = readCorpus(NAB).dev;
    const hinted = scoreCorpus(runSplit('artime', dev, { publishedMinmax: true }), standard).score;
    const online = scoreCorpus(runSplit('artime', dev), standard).score;
    // 69.89 and 66.83 at the time of writing; with the range seen so far it was 51.73 (benchmarks/RESULTS.md).
    expect(online).toBeGreaterThan(hinted - 4);
  });
});
