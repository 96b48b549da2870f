/**
 * `npm run nab:tune -- [--detector NAME] [--published-minmax] [--nab DIR]`: leave-one-category-out
 * cross-validation on the 24 dev files in which every choice is re-made inside each fold: for each
 * held-out category, an exhaustive search over the detector's declared options (TUNING_SPACES) and
 * the threshold picks what scores best on the other three categories, and the held-out category is
 * scored with that choice. Prints each fold's choice and the pooled held-out score per profile.
 * Never reads the validation files.
 */
import { DEFAULT_NAB, readCorpus, runSplit } from './corpus';
import { parseArgs } from './nabFiles';
import { CostProfile, ScoredFile, scoreAt, scoreCorpus } from './scorer';

type Setting = Record<string, number>;

/**
 * Options each candidate declares for the search, with the values to try (a detector not listed
 * is tuned on its threshold alone). failureprophet-v5: how long an event is kept quiet and how far
 * out a new event must be; the views' learning rates. The range-quantising leaders: their online
 * range estimate (ignored with `--published-minmax`).
 */
export const TUNING_SPACES: Record<string, Record<string, number[]>> = {
  // The product (v9, det24's candidate): how many categories its ARTime holds (the bounds whose state fits
  // 4 KiB; grossSpans stays at the leaders' choice, the weight is a scale as there).
  failureprophet: { maxCategories: [16, 24] },
  // The product before v9: what the bounded ARTime's score counts for, how many categories it holds (every
  // bound here keeps the state within 4 KiB) and its range (ARTIME_RANGE_SEEN or not); failureprophet-v5's
  // settings as shipped.
  'failureprophet-v6': {
    artimeWeight: [0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8, 1],
    maxCategories: [16, 24, 32],
    artimeRescale: [0, 1],
  },
  // The candidate with a sustained-departure view (issue 13): how far beyond the week's range, for how
  // long, and what v6's score counts for inside that range; v6's settings as shipped.
  'failureprophet-v7': {
    sustainedForMs: [3 * 3_600_000, 6 * 3_600_000],
    sustainedMargin: [0.2, 0.3],
    insideWeight: [0.8, 1],
  },
  // v7 without its damping (issues 12, 13): only how far beyond the week's range, and for how long.
  'failureprophet-v8': { sustainedForMs: [3 * 3_600_000, 6 * 3_600_000], sustainedMargin: [0.2, 0.3] },
  // The leaders-first candidate (issue 12, det12a): how far beyond the range seen a value is a gross fault
  // (ARTime's weight is a scale, not searched: NAB's threshold sweep gives the same alarms for every weight).
  'failureprophet-leaders': { grossSpans: [0.25, 0.5, 1, 2, 4] },
  'failureprophet-v5': {
    refractoryMs: [6 * 3_600_000, 12 * 3_600_000, 24 * 3_600_000],
    holdMs: [12 * 3_600_000, 24 * 3_600_000],
    baselineRate: [0.003, 0.01, 0.03],
    newEventFactor: [1.5, 2, 4],
  },
  // Range-quantising leaders without the hint: how the probation's range is widened and followed, and
  // (ARTime) whether a moved range re-expresses what was learned (RangeEstimate).
  artime: { rangeMargin: [0, 0.25, 0.5, 1, 2], rangeRenormalise: [0, 1], rangeRescale: [0, 1] },
  // The bounded ARTime: how many categories it holds (every value here keeps its state within 4 KiB).
  'artime-bounded': { maxCategories: [16, 24, 32, 40, 48] },
  // cadose clamped only: re-normalising puts a gross spike mid-scale, and it is missed at its first sample.
  cadose: { rangeMargin: [0.25, 0.5, 1], rangeRenormalise: [0] },
  // The bounded CAD OSE: how many contexts it holds (the least recently used forgotten); its range as cadose's.
  'cadose-bounded': { maxContexts: [64, 128, 256, 512, 1024, 2048] },
  // failureprophet with ARTime: what an ARTime score counts for (failureprophet's settings as shipped).
  'failureprophet-ensemble': { artimeWeight: [0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8, 1] },
  'failureprophet-v1': {
    refractoryMs: [6 * 3_600_000, 12 * 3_600_000, 24 * 3_600_000],
    holdMs: [12 * 3_600_000, 24 * 3_600_000],
    baselineRate: [0.003, 0.01, 0.03],
  },
};

/** Every combination of the declared values (one empty setting when nothing is declared). */
export function grid(space: Record<string, number[]>): Setting[] {
  let out: Setting[] = [{}];
  for (const [key, values] of Object.entries(space)) {
    out = out.flatMap((s) => values.map((v) => ({ ...s, [key]: v })));
  }
  return out;
}

export interface FoldChoice {
  heldOut: string;
  setting: Setting;
  threshold: number;
  trainScore: number;
  heldOutScore: number;
}

/**
 * Leave-one-category-out with the search inside each fold. `runs[k]` are the dev files scored under
 * `settings[k]` (a run does not depend on the fold, so each setting runs once).
 */
export function crossValidate(
  settings: Setting[],
  runs: ScoredFile[][],
  profile: CostProfile
): { pooled: number; folds: FoldChoice[] } {
  const categoryOf = (f: ScoredFile): string => f.name.split('/')[0];
  const categories = [...new Set(runs[0].map(categoryOf))].sort();
  const folds: FoldChoice[] = [];
  let raw = 0;
  let nullRaw = 0;
  let perfectRaw = 0;
  for (const heldOut of categories) {
    let best = -1;
    let bestScore = -Infinity;
    let bestThreshold = Infinity;
    runs.forEach((files, k) => {
      const r = scoreCorpus(
        files.filter((f) => categoryOf(f) !== heldOut),
        profile
      );
      if (r.score > bestScore) {
        best = k;
        bestScore = r.score;
        bestThreshold = r.threshold;
      }
    });
    const test = scoreAt(
      runs[best].filter((f) => categoryOf(f) === heldOut),
      profile,
      bestThreshold
    );
    raw += test.raw;
    nullRaw += test.nullRaw;
    perfectRaw += test.perfectRaw;
    folds.push({
      heldOut,
      setting: settings[best],
      threshold: bestThreshold,
      trainScore: bestScore,
      heldOutScore: test.score,
    });
  }
  return { pooled: (100 * (raw - nullRaw)) / (perfectRaw - nullRaw || 1), folds };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2), { detector: 'string', 'published-minmax': 'boolean', nab: 'string' });
  const name = args.get('detector') || 'failureprophet';
  const hint = args.has('published-minmax');
  const corpus = readCorpus(args.get('nab') || DEFAULT_NAB);
  const settings = grid(TUNING_SPACES[name] ?? {});
  console.log(`${name}${hint ? ' (--published-minmax)' : ''}: ${settings.length} setting(s) searched in each fold`);
  const runs = settings.map((options) => runSplit(name, corpus.dev, { options, publishedMinmax: hint }));
  // Each setting on all 24 files too, for the record (the held-out figures below are the honest ones).
  for (const [k, setting] of settings.entries()) {
    const all = Object.values(corpus.profiles).map((profile) => scoreCorpus(runs[k], profile).score.toFixed(2));
    console.log(`  all 24 files ${JSON.stringify(setting)}: ${all.join(' / ')}`);
  }
  for (const [profileName, profile] of Object.entries(corpus.profiles)) {
    const { pooled, folds } = crossValidate(settings, runs, profile);
    console.log(`  ${profileName}: pooled held-out ${pooled.toFixed(2)}`);
    for (const f of folds) {
      console.log(
        `    held out ${f.heldOut.padEnd(22)} ${f.heldOutScore.toFixed(2).padStart(7)} (train ${f.trainScore.toFixed(2)}, threshold ${f.threshold.toFixed(4)}, ${JSON.stringify(f.setting)})`
      );
    }
  }
}

if (require.main === module) {
  main();
}
