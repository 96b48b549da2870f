import {
  createDetectorFromConfig,
  restoreDetector,
  type DetectorState,
  type StreamingDetector,
} from '../../../detection';
import type { Warmup } from './analysis';

/** One detector's pass over a series' samples, and its state after the last one. */
export interface DetectionRun {
  detector: string;
  time: Float64Array;
  values: Float64Array;
  /** Aligned with `time`; NaN where the series has no sample. */
  score: Float64Array;
  expected: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  /** The detector after the last sample, so a later window can continue from it. */
  state: DetectorState;
  /** Samples the detector was run on to make this run; the others were the previous run's. */
  scored: number;
  /** What the detector could not yet do at the last sample (StreamingDetector's `learning`, `faultsOnlySamplesLeft`). */
  warmup: Warmup | undefined;
  /** Where the outputs are stored: views of `track` from `offset`. */
  track: Track;
  offset: number;
}

/** What a detector cannot yet do, from what it says of itself. */
function warmupOf(d: StreamingDetector): Warmup | undefined {
  return d.learning === true ? 'learning' : (d.faultsOnlySamplesLeft ?? 0) > 0 ? 'faultsOnly' : undefined;
}

/**
 * The outputs' storage, with room after the last run for the samples later refreshes add, so a
 * refresh writes only its tail: copying the overlap cost Chromium ~1 ms per 10,000 samples and series.
 */
interface Track {
  score: Float64Array;
  expected: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  /** End of the latest run stored here; only that run may be continued in place. */
  end: number;
}

/** Samples of room a new track keeps after the run, at least. */
const MIN_ROOM = 1024;

/**
 * Scores a series with a streaming detector. Given the previous run of the same series: the same
 * samples return that run itself; a window that moved forward (its first samples are the previous
 * run's last ones, unchanged) keeps the previous scores for them and resumes the detector from its
 * state for the new tail only. The result is then exactly what one pass over the previous run's
 * history plus the tail gives: a fresh pass over the new window alone differs near its start, where
 * it would still be warming up. Anything else (older range, changed values, another detector) is
 * scored afresh.
 */
export function detectSeries(
  series: { time: Float64Array; values: Float64Array },
  detector: string,
  previous?: DetectionRun
): DetectionRun {
  const { time, values } = series;
  const n = time.length;
  const kept = previous && previous.detector === detector ? continuedSamples(previous, time, values) : 0;
  if (previous && kept === n && previous.time.length === n) {
    return previous;
  }
  let track: Track;
  let offset: number;
  if (previous && kept > 0) {
    const from = previous.time.length - kept;
    if (
      previous.track.end === previous.offset + previous.time.length &&
      previous.offset + from + n <= previous.track.score.length
    ) {
      ({ track } = previous);
      offset = previous.offset + from;
    } else {
      track = newTrack(n);
      offset = 0;
      for (const k of OUTPUTS) {
        track[k].set(previous[k].subarray(from));
      }
    }
  } else {
    track = newTrack(n);
    offset = 0;
  }
  track.end = offset + n;
  const view = (a: Float64Array) => a.subarray(offset, offset + n);
  const run = {
    detector,
    time,
    values,
    score: view(track.score),
    expected: view(track.expected),
    lower: view(track.lower),
    upper: view(track.upper),
    track,
    offset,
  };
  if (previous && kept === n) {
    // Only the start moved: nothing new to score, and the detector is where it was.
    return { ...run, state: previous.state, scored: 0, warmup: previous.warmup };
  }
  const d = previous && kept > 0 ? restoreDetector(previous.state) : createDetectorFromConfig(detector);
  scoreSamples(d, run, kept);
  return { ...run, state: d.toState(), scored: n - kept, warmup: warmupOf(d) };
}

const OUTPUTS = ['score', 'expected', 'lower', 'upper'] as const;

function newTrack(n: number): Track {
  const size = n + Math.max(MIN_ROOM, n >> 1);
  return {
    score: new Float64Array(size),
    expected: new Float64Array(size),
    lower: new Float64Array(size),
    upper: new Float64Array(size),
    end: 0,
  };
}

function scoreSamples(
  d: StreamingDetector,
  run: Pick<DetectionRun, 'time' | 'values' | (typeof OUTPUTS)[number]>,
  from: number
): void {
  const { time, values, score, expected, lower, upper } = run;
  for (let i = from; i < time.length; i++) {
    const v = values[i];
    const s = d.update(time[i], v);
    if (Number.isFinite(v)) {
      score[i] = s;
      expected[i] = d.expected;
      lower[i] = d.lower;
      upper[i] = d.upper;
    } else {
      // No band or score where there is no sample, so the plot shows the gap.
      score[i] = expected[i] = lower[i] = upper[i] = NaN;
    }
  }
}

/**
 * How many leading samples of (time, values) are, unchanged, the previous run's samples from some
 * point to its end; 0 when the new samples do not continue the previous ones.
 */
function continuedSamples(previous: DetectionRun, time: Float64Array, values: Float64Array): number {
  const pt = previous.time;
  const pv = previous.values;
  if (time.length === 0 || pt.length === 0) {
    return 0;
  }
  const from = lowerBound(pt, time[0]);
  const kept = pt.length - from;
  if (from === pt.length || pt[from] !== time[0] || kept > time.length) {
    return 0;
  }
  for (let i = 0; i < kept; i++) {
    const a = values[i];
    const b = pv[from + i];
    // NaN (no sample) equals NaN here.
    if (time[i] !== pt[from + i] || (a !== b && !(a !== a && b !== b))) {
      return 0;
    }
  }
  return kept;
}

/** First index whose time is >= t in an ascending array. */
function lowerBound(times: Float64Array, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/**
 * The latest run of each of a panel's series, so a refresh scores only what is new. Keyed by
 * position and name; series no longer in the panel are forgotten at the next update.
 */
export class DetectionRuns {
  private byKey = new Map<string, DetectionRun>();
  /** Samples the last update ran the detector on, over all series. */
  lastScored = 0;

  update(series: Array<{ name: string; time: Float64Array; values: Float64Array }>, detector: string): DetectionRun[] {
    const next = new Map<string, DetectionRun>();
    let scored = 0;
    const runs = series.map((s, i) => {
      const key = `${i}\u0000${s.name}`;
      const previous = this.byKey.get(key);
      const run = detectSeries(s, detector, previous);
      // The previous run handed back unchanged scored nothing this time.
      scored += run === previous ? 0 : run.scored;
      next.set(key, run);
      return run;
    });
    this.byKey = next;
    this.lastScored = scored;
    return runs;
  }
}
