import { z } from 'zod';
import {
  createProductDetector,
  CrossingForecaster,
  LIMIT_DIRECTIONS,
  type ProductDetectorName,
  type SignalKind,
  type StreamingDetector,
} from '../../detection';
import { getF64, putF64, Slab } from '../../detection/shared/arrays';
import type { Direction, EpisodePeak, TimeToFailure } from '../../contract/pipeline';

export interface SignalSpec {
  name: string;
  kind: SignalKind;
  limits?: { above?: number; below?: number };
}

/** What a signal's models are built from: the watch's detector, and how far its forecasts look. */
export interface ModelSettings {
  detector: ProductDetectorName;
  stepMs: number;
  /** Steps the forecaster looks ahead; forecasts beyond are not predictions. */
  horizonSteps: number;
}

/** The forecaster state earlier builds stored (a Holt-Winters snapshot): nothing the crossing forecaster can use. */
const holtWintersSchema = z.object({ format: z.literal('failureprophet.forecaster') });

/**
 * 16-bit words a recent step takes in a signal's ring (recentSteps.ts): value, expected and the band's
 * half width as float32 (two words each), the score in one. Every product detector's band is symmetric
 * about its expected value (detectors.test.ts), so its edges are the expected value less and plus the
 * half width; a score is in [0, 1] (detectors.test.ts), drawn at 2 decimals and held to 1/65534.
 */
export const RING_WORDS = 7;

/**
 * What a signal said at its last sample, as float64 in 4 words each after its ring's steps (the same
 * view: as fields they were a boxed number each, 24 B with its slot, in each of a fleet's signals).
 */
const VALUE = 0;
const EXPECTED = 4;
const LOWER = 8;
const UPPER = 12;
const SCORE = 16;
const LAST_AT = 20;
const MISSING_AT = 24;
const SCALAR_WORDS = 28;

/** One signal of a target: its detector (and forecaster), what it said at its last sample, and its recent steps. */
export class SignalModel {
  direction: Direction = 'none';
  ttf: TimeToFailure | null = null;
  /**
   * value, expected, the band's half width, score per recent step (recentSteps.ts: 14 B a step keeps a
   * fleet's history small), then from `at` the last sample's scalars.
   */
  readonly ring: Uint16Array;
  private readonly at: number;

  constructor(
    readonly spec: SignalSpec,
    public detector: StreamingDetector,
    public forecaster: CrossingForecaster | undefined,
    detailPoints: number
  ) {
    this.at = detailPoints * RING_WORDS;
    const { buffer, offset } = RING_SLAB.take((this.at + SCALAR_WORDS) * 2);
    this.ring = new Uint16Array(buffer, offset, this.at + SCALAR_WORDS);
    for (const at of [VALUE, EXPECTED, LOWER, UPPER, LAST_AT, MISSING_AT]) {
      putF64(this.ring, this.at + at, NaN);
    }
  }

  get value(): number {
    return getF64(this.ring, this.at + VALUE);
  }

  set value(x: number) {
    putF64(this.ring, this.at + VALUE, x);
  }

  get expected(): number {
    return getF64(this.ring, this.at + EXPECTED);
  }

  set expected(x: number) {
    putF64(this.ring, this.at + EXPECTED, x);
  }

  get lower(): number {
    return getF64(this.ring, this.at + LOWER);
  }

  set lower(x: number) {
    putF64(this.ring, this.at + LOWER, x);
  }

  get upper(): number {
    return getF64(this.ring, this.at + UPPER);
  }

  set upper(x: number) {
    putF64(this.ring, this.at + UPPER, x);
  }

  get score(): number {
    return getF64(this.ring, this.at + SCORE);
  }

  set score(x: number) {
    putF64(this.ring, this.at + SCORE, x);
  }

  /** The last step it had a sample at (NaN: none yet). */
  get lastAt(): number {
    return getF64(this.ring, this.at + LAST_AT);
  }

  set lastAt(t: number) {
    putF64(this.ring, this.at + LAST_AT, t);
  }

  /** The last step it had no sample at and its detector scored the gap (NaN: none yet). */
  get missingAt(): number {
    return getF64(this.ring, this.at + MISSING_AT);
  }

  set missingAt(t: number) {
    putF64(this.ring, this.at + MISSING_AT, t);
  }
}

/** Where every signal's ring is cut from: rings live as long as their target, longer than its detectors (arrays.ts). */
const RING_SLAB = new Slab();

/**
 * Detectors that score a step without a sample (a run of them: the series stopped). The others
 * ignore a NaN and return their last score, which must not count as a new one.
 */
const SCORES_MISSING: ReadonlySet<ProductDetectorName> = new Set(['failureprophet']);

export function scoresMissing(detector: ProductDetectorName): boolean {
  return SCORES_MISSING.has(detector);
}

/**
 * A detector's score as a signal keeps it. One that is not a finite number comes from a value so far
 * out that the detector's arithmetic overflowed (z-score squares it: one sample of 1e200 did it), and
 * counts as the highest. Kept as NaN, it reached the store (NOT NULL peak_score: every cycle of the
 * watch failed, for all its targets) and every answer listing the target (500).
 */
export function keptScore(score: number): number {
  return Number.isFinite(score) ? score : 1;
}

/** Which side of normal a signal is on: its band's side, or (a score high inside a wide band) the side of its expected value. */
export function sideOf(s: SignalModel): 'above' | 'below' | 'none' {
  if (s.direction !== 'none' || !Number.isFinite(s.expected)) {
    return s.direction;
  }
  return s.value >= s.expected ? 'above' : 'below';
}

/** The signal at step t as an episode's peak: its value and expected value then (undefined: no finite value). */
export function peakOf(s: SignalModel, t: number): EpisodePeak | undefined {
  if (!Number.isFinite(s.value)) {
    return undefined;
  }
  return { at: t, signal: s.spec.name, value: s.value, expected: Number.isFinite(s.expected) ? s.expected : null };
}

/** A new detector, and a forecaster when the signal has a limit to forecast. */
export function freshModels(
  spec: SignalSpec,
  settings: ModelSettings,
  threshold: number
): { detector: StreamingDetector; forecaster?: CrossingForecaster } {
  return {
    detector: createProductDetector(settings.detector, threshold),
    forecaster: spec.limits ? freshForecaster(settings) : undefined,
  };
}

function freshForecaster(settings: ModelSettings): CrossingForecaster {
  return new CrossingForecaster({ horizonMs: settings.horizonSteps * settings.stepMs });
}

/**
 * The stored forecaster of a signal with a limit. A state from before the crossing forecaster (the
 * Holt-Winters snapshot earlier builds stored) starts a fresh one: it holds nothing the new one
 * can use, and only the forecast's history is lost, not the target's detector.
 */
export function restoreForecaster(
  spec: SignalSpec,
  state: unknown,
  settings: ModelSettings
): CrossingForecaster | undefined {
  if (!spec.limits) {
    return undefined;
  }
  if (state === undefined || holtWintersSchema.safeParse(state).success) {
    return freshForecaster(settings);
  }
  return CrossingForecaster.fromState(state);
}

/** What alerts and severity use: the earliest plausible crossing (the interval's lower bound). */
export function earliest(ttf: TimeToFailure): number {
  return ttf.lowerSeconds ?? ttf.seconds ?? Infinity;
}

/** The soonest justified crossing of the signal's limits, or null when the data supports none. */
export function soonestCrossing(s: SignalModel, t: number): TimeToFailure | null {
  const limits = s.spec.limits!;
  let best: TimeToFailure | null = null;
  for (const direction of LIMIT_DIRECTIONS) {
    const limit = limits[direction];
    if (limit === undefined) {
      continue;
    }
    const f = s.forecaster!.crossing(limit, direction);
    if (typeof f === 'string') {
      continue;
    }
    const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
    const candidate: TimeToFailure = {
      signal: s.spec.name,
      limit,
      direction,
      seconds: f.seconds,
      lowerSeconds: f.lowerSeconds,
      upperSeconds: finite(f.upperSeconds),
      fromMs: t,
    };
    if (best === null || earliest(candidate) < earliest(best)) {
      best = candidate;
    }
  }
  return best;
}
