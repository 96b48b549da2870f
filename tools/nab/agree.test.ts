import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { agreement, splitAgreement, WITHIN } from './agree';
import { DEFAULT_NAB, readCorpus, runSplit } from './corpus';
import type { ScoredFile } from './scorer';

/** A run of `n` samples scoring `score` at each of `at`, 0 elsewhere. */
const run = (n: number, at: Record<number, number>): Float64Array => {
  const scores = new Float64Array(n);
  for (const [i, s] of Object.entries(at)) {
    scores[Number(i)] = s;
  }
  return scores;
};

describe('agreement of two runs', () => {
  it('matches alarms within WITHIN samples either way, and counts the rest on each side', () => {
    const reference = run(200, { 50: 0.5, 100: 0.5, 150: 0.5 });
    // 50 matched early, 100 matched late by WITHIN exactly, 150 unmatched (WITHIN + 1 away); 10 is the candidate's own.
    const candidate = run(200, { 10: 0.9, [50 - 3]: 0.3, [100 + WITHIN]: 0.3, [150 + WITHIN + 1]: 0.3 });
    expect(agreement(reference, candidate, 0, 0.25)).toEqual({ both: 2, referenceOnly: 1, candidateOnly: 2 });
  });

  it('reads the candidate at the threshold times its scale, and ignores the probation', () => {
    const reference = run(100, { 5: 1, 60: 0.3 });
    const candidate = run(100, { 5: 1, 60: 0.7 });
    // Weighted 2.5: 0.7 is 0.28 of a weight-1 score, above 0.25; below 0.3 at 0.3.
    expect(agreement(reference, candidate, 20, 0.25, 2.5)).toEqual({ both: 1, referenceOnly: 0, candidateOnly: 0 });
    expect(agreement(reference, candidate, 20, 0.3, 2.5)).toEqual({ both: 0, referenceOnly: 1, candidateOnly: 0 });
    expect(agreement(reference, candidate, 0, 0.3, 2.5)).toEqual({ both: 1, referenceOnly: 1, candidateOnly: 0 });
  });

  it('counts every alarm of a burst, each matched by any alarm of the other run nearby', () => {
    const reference = run(100, { 40: 1, 41: 1, 42: 1 });
    const candidate = run(100, { 45: 1 });
    expect(agreement(reference, candidate, 0, 0.5)).toEqual({ both: 3, referenceOnly: 0, candidateOnly: 0 });
  });

  it('refuses runs of different lengths or files', () => {
    expect(() => agreement(run(10, {}), run(11, {}), 0, 0.5)).toThrow('differ in length');
    const file = (name: string): ScoredFile => ({
      name,
      timestamps: new Float64Array(10),
      scores: new Float64Array(10),
      windows: [],
    });
    expect(() => splitAgreement([file('a.csv')], [file('b.csv')])).toThrow('a.csv against b.csv');
  });
});

const nab = existsSync(join(DEFAULT_NAB, 'data'));
if (!nab) {
  console.warn(`NAB corpus not found at ${DEFAULT_NAB}: the dev-file agreement check is skipped`);
}

(nab ? describe : describe.skip)('agreement on the dev files', () => {
  it("the hinted ARTime agrees with itself entirely; its run on the range seen disagrees by stop 29's figure", () => {
    const corpus = readCorpus();
    const hinted = runSplit('artime', corpus.dev, { publishedMinmax: true });
    const self = splitAgreement(hinted, hinted);
    expect(self.every((r) => r.referenceOnly === 0 && r.candidateOnly === 0 && r.both > 0)).toBe(true);
    const seen = runSplit('artime', corpus.dev, {
      options: { rangeMargin: 0, rangeRenormalise: true, rangeRescale: true },
    });
    // RESULTS.md, stop 29 ("Where v9 departs from the published method"): 87 / 33 / 34, 84 / 28 / 29, 66 / 24 / 17.
    expect(splitAgreement(hinted, seen).map((r) => [r.both, r.referenceOnly, r.candidateOnly])).toEqual([
      [87, 33, 34],
      [84, 28, 29],
      [66, 24, 17],
    ]);
  });
});
