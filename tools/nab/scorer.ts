/**
 * The NAB scoring rules (Lavin & Ahmad 2015, restated in ../shared/nab/README.md): windows,
 * the scaled sigmoid reward, probation, one threshold per profile swept over the whole corpus, and
 * normalisation between the null detector (never alarms) and a perfect one.
 */

export interface CostProfile {
  tpWeight: number;
  fnWeight: number;
  fpWeight: number;
}

/** One scored file: its timestamps (ms), anomaly scores, and anomaly windows as [startMs, endMs]. */
export interface ScoredFile {
  name: string;
  timestamps: ArrayLike<number>;
  scores: ArrayLike<number>;
  windows: Array<[number, number]>;
}

export interface FileOutcome {
  name: string;
  tp: number;
  fp: number;
  fn: number;
  raw: number;
}

export interface ProfileResult {
  threshold: number;
  raw: number;
  nullRaw: number;
  perfectRaw: number;
  /** 100 * (raw - null) / (perfect - null). */
  score: number;
  files: FileOutcome[];
}

/** NAB's probation length: min(floor(0.15 n), 750). */
export function probationLength(n: number): number {
  return Math.min(Math.floor(0.15 * n), 750);
}

/** 2 / (1 + e^(5y)) - 1, and -1 once an alarm is more than 3 window widths past a window. */
export function scaledSigmoid(y: number): number {
  return y > 3 ? -1 : 2 / (1 + Math.exp(5 * y)) - 1;
}

/** Per record (after probation): the reward or cost an alarm there would get, and its window. */
interface Record {
  score: number;
  weight: number;
  window: number;
  file: number;
}

function recordsOf(
  files: ScoredFile[],
  profile: CostProfile
): { records: Record[]; windowCount: number; windowFile: number[] } {
  const records: Record[] = [];
  const windowFile: number[] = [];
  const leftEdge = scaledSigmoid(-1);
  files.forEach((file, f) => {
    const ts = file.timestamps;
    const n = ts.length;
    const probation = probationLength(n);
    // Window limits as record indices: first record >= start, last record <= end.
    const limits = file.windows.map(([start, end]) => {
      let lo = 0;
      while (lo < n && ts[lo] < start) {
        lo++;
      }
      let hi = n - 1;
      while (hi >= 0 && ts[hi] > end) {
        hi--;
      }
      return [lo, hi, windowFile.push(f) - 1];
    });
    let w = 0;
    let prevRight = -1;
    let prevWidth = 0;
    for (let i = 0; i < n; i++) {
      let weight: number;
      let window = -1;
      const cur = limits[w];
      if (cur !== undefined && i >= cur[0] && i <= cur[1]) {
        const width = cur[1] - cur[0] + 1;
        weight = (scaledSigmoid(-(cur[1] - i + 1) / width) * profile.tpWeight) / leftEdge;
        window = cur[2];
      } else if (prevRight < 0) {
        weight = -profile.fpWeight;
      } else {
        weight = scaledSigmoid(Math.abs(prevRight - i) / (prevWidth - 1)) * profile.fpWeight;
      }
      if (cur !== undefined && i === cur[1]) {
        prevRight = cur[1];
        prevWidth = cur[1] - cur[0] + 1;
        w++;
      }
      if (i >= probation) {
        records.push({ score: file.scores[i], weight, window, file: f });
      }
    }
  });
  return { records, windowCount: windowFile.length, windowFile };
}

/**
 * Scores a corpus under one profile: sweeps every distinct score as the threshold (alarm when
 * score >= threshold), keeps the one with the highest total, and reports per-file outcomes there.
 */
export function scoreCorpus(files: ScoredFile[], profile: CostProfile): ProfileResult {
  const { records, windowCount } = recordsOf(files, profile);
  const nullRaw = -profile.fnWeight * windowCount;
  const perfectRaw = profile.tpWeight * windowCount;
  const sorted = records.filter((r) => !Number.isNaN(r.score)).sort((a, b) => b.score - a.score);
  const best = new Float64Array(windowCount).fill(NaN);
  let current = nullRaw;
  let bestRaw = nullRaw;
  let bestThreshold = Infinity;
  for (let i = 0; i < sorted.length;) {
    const threshold = sorted[i].score;
    for (; i < sorted.length && sorted[i].score === threshold; i++) {
      const r = sorted[i];
      if (r.window < 0) {
        current += r.weight;
      } else if (Number.isNaN(best[r.window])) {
        current += profile.fnWeight + r.weight;
        best[r.window] = r.weight;
      } else if (r.weight > best[r.window]) {
        current += r.weight - best[r.window];
        best[r.window] = r.weight;
      }
    }
    if (current > bestRaw) {
      bestRaw = current;
      bestThreshold = threshold;
    }
  }
  return {
    threshold: bestThreshold,
    raw: bestRaw,
    nullRaw,
    perfectRaw,
    score: (100 * (bestRaw - nullRaw)) / (perfectRaw - nullRaw || 1),
    files: outcomesAt(files, profile, bestThreshold),
  };
}

/** Per-file true positives, false positives, missed windows and raw score at one threshold. */
export function outcomesAt(files: ScoredFile[], profile: CostProfile, threshold: number): FileOutcome[] {
  const { records, windowFile } = recordsOf(files, profile);
  const out: FileOutcome[] = files.map((f) => ({ name: f.name, tp: 0, fp: 0, fn: 0, raw: 0 }));
  const best = new Float64Array(windowFile.length).fill(NaN);
  for (const r of records) {
    if (!(r.score >= threshold)) {
      continue;
    }
    if (r.window < 0) {
      out[r.file].fp++;
      out[r.file].raw += r.weight;
    } else if (Number.isNaN(best[r.window]) || r.weight > best[r.window]) {
      best[r.window] = r.weight;
    }
  }
  windowFile.forEach((f, w) => {
    if (Number.isNaN(best[w])) {
      out[f].fn++;
      out[f].raw -= profile.fnWeight;
    } else {
      out[f].tp++;
      out[f].raw += best[w];
    }
  });
  return out;
}

/** Normalised score of a corpus at a given threshold (e.g. one optimised on other files). */
export function scoreAt(files: ScoredFile[], profile: CostProfile, threshold: number): ProfileResult {
  const outcomes = outcomesAt(files, profile, threshold);
  const windows = files.reduce((n, f) => n + f.windows.length, 0);
  const nullRaw = -profile.fnWeight * windows;
  const perfectRaw = profile.tpWeight * windows;
  const raw = outcomes.reduce((sum, o) => sum + o.raw, 0);
  return {
    threshold,
    raw,
    nullRaw,
    perfectRaw,
    score: (100 * (raw - nullRaw)) / (perfectRaw - nullRaw || 1),
    files: outcomes,
  };
}
