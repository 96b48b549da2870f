/**
 * `npm run nab:agree -- --detector NAME [--options JSON] [--scale S] [--reference NAME] [--reference-options JSON]
 * [--nab DIR]`: how closely a candidate's alarms follow a reference's on the 24 dev files (never the
 * validation files). The reference is by default the published method as NAB ran it, `artime
 * --published-minmax` (the file's min and max handed over). The rule earlier stops wrote out by hand
 * for each choice of ARTime's range and bound (RESULTS.md, det17, det24, stop 29): an alarm is a sample
 * after the probation whose score reaches a threshold (the candidate's divided by `--scale`, for a
 * detector that weights its score); an alarm matches when the other run has one within WITHIN samples;
 * the disagreement is the reference's unmatched alarms plus the candidate's, summed over THRESHOLDS.
 * Closeness to a method with a published record on unseen data is a choice that needs no look at them.
 */
import { DEFAULT_NAB, readCorpus, runSplit, type RunOptions } from './corpus';
import { jsonObjectOption, parseArgs } from './nabFiles';
import { probationLength, type ScoredFile } from './scorer';

/** Samples apart within which two alarms are the same call. */
export const WITHIN = 12;
/** Thresholds on a weight-1 score: det17's 0.25 and 0.4, and 0.096, where the product's 2.5 x alarms (0.24). */
export const THRESHOLDS = [0.096, 0.25, 0.4];

export interface Agreement {
  /** Reference alarms the candidate matched. */
  both: number;
  referenceOnly: number;
  candidateOnly: number;
}

/** Indices from `from` on whose score reaches `threshold`. */
function alarms(scores: ArrayLike<number>, from: number, threshold: number): number[] {
  const at: number[] = [];
  for (let i = from; i < scores.length; i++) {
    if (scores[i] >= threshold) {
      at.push(i);
    }
  }
  return at;
}

/** How many of `these` (sorted) have one of `those` (sorted) within WITHIN samples. */
function matched(these: number[], those: number[]): number {
  let n = 0;
  let k = 0;
  for (const i of these) {
    while (k < those.length && those[k] < i - WITHIN) {
      k++;
    }
    if (k < those.length && those[k] <= i + WITHIN) {
      n++;
    }
  }
  return n;
}

/** The agreement of two runs of one file at `threshold` (the candidate's scores divided by `scale`), past `from`. */
export function agreement(
  reference: ArrayLike<number>,
  candidate: ArrayLike<number>,
  from: number,
  threshold: number,
  scale = 1
): Agreement {
  if (reference.length !== candidate.length) {
    throw new Error(`the runs differ in length: ${reference.length} and ${candidate.length} samples`);
  }
  const ref = alarms(reference, from, threshold);
  const cand = alarms(candidate, from, threshold * scale);
  const both = matched(ref, cand);
  return { both, referenceOnly: ref.length - both, candidateOnly: cand.length - matched(cand, ref) };
}

/** The agreement summed over the files of two runs of the same split, at each of `thresholds`. */
export function splitAgreement(
  reference: ScoredFile[],
  candidate: ScoredFile[],
  thresholds = THRESHOLDS,
  scale = 1
): Array<{ threshold: number } & Agreement> {
  return thresholds.map((threshold) => {
    const sum: Agreement = { both: 0, referenceOnly: 0, candidateOnly: 0 };
    reference.forEach((r, k) => {
      const c = candidate[k];
      if (c?.name !== r.name) {
        throw new Error(`the runs differ in their files: ${r.name} against ${c?.name}`);
      }
      const a = agreement(r.scores, c.scores, probationLength(r.scores.length), threshold, scale);
      sum.both += a.both;
      sum.referenceOnly += a.referenceOnly;
      sum.candidateOnly += a.candidateOnly;
    });
    return { threshold, ...sum };
  });
}

function main(): void {
  const args = parseArgs(process.argv.slice(2), {
    detector: 'string',
    scale: 'string',
    nab: 'string',
    reference: 'string',
    'reference-options': 'string',
    options: 'string',
  });
  const name = args.get('detector');
  if (!name) {
    throw new Error('--detector NAME is required (the candidate)');
  }
  const scale = Number(args.get('scale') ?? '1');
  if (!(scale > 0)) {
    throw new Error(`--scale must be a positive number, got ${args.get('scale')}`);
  }
  const corpus = readCorpus(args.get('nab') || DEFAULT_NAB);
  const referenceName = args.get('reference') || 'artime';
  const referenceRun: RunOptions = {
    options: jsonObjectOption(args.get('reference-options'), '--reference-options'),
    // The default reference is the published method, as NAB ran it.
    publishedMinmax: !args.has('reference'),
  };
  const candidateRun: RunOptions = { options: jsonObjectOption(args.get('options'), '--options') };
  const reference = runSplit(referenceName, corpus.dev, referenceRun);
  const candidate = runSplit(name, corpus.dev, candidateRun);
  const rows = splitAgreement(reference, candidate, THRESHOLDS, scale);
  console.log(
    `${name} against ${referenceName}${referenceRun.publishedMinmax ? ' --published-minmax' : ''} on the dev files ` +
      `(alarms within ${WITHIN} samples match; both / reference only / candidate only):`
  );
  for (const r of rows) {
    console.log(`  at ${r.threshold}: ${r.both} / ${r.referenceOnly} / ${r.candidateOnly}`);
  }
  console.log(`  disagreement: ${rows.reduce((n, r) => n + r.referenceOnly + r.candidateOnly, 0)}`);
}

if (require.main === module) {
  main();
}
