import { z } from 'zod';
import {
  createProductDetector,
  CrossingForecaster,
  type ProductDetectorName,
  type SignalKind,
  type StreamingDetector,
} from '../../detection';
import { Slab } from '../../detection/shared/arrays';
import type { Direction, EpisodePeak, NoForecast, TimeToFailure } from '../../contract/pipeline';

export interface SignalSpec {
  name: string;
  kind: SignalKind;
  limits?: { above?: number; below?: number };
}

/** What a signal's models are built from: the watch's detector, its learning period, and how far its forecasts look. */
export interface ModelSettings {
  detector: ProductDetectorName;
  stepMs: number;
  /** Steps only learned from before a new target may open anomalies: its detector learns no longer (at most). */
  probation: number;
  /** Steps the forecaster looks ahead; forecasts beyond are not predictions. */
  horizonSteps: number;
}

/** The forecaster state earlier builds stored (a Holt-Winters snapshot): nothing the crossing forecaster can use. */
const holtWintersSchema = z.object({ format: z.literal('failureprophet.forecaster') });

/**
 * 16-bit words a recent step takes in a signal's ring (recentSteps.ts): the value as a float32 (two
 * words), the expected value and the band's half width in 24 bits each (three words), the score in
 * one. Every product detector's band is symmetric about its expected value (detectors.test.ts), so its
 * edges are the expected value less and plus the half width; a score is in [0, 1] (detectors.test.ts),
 * drawn at 2 decimals and held to 1/65534.
 */
export const RING_WORDS = 6;

/** One signal of a target: its detector (and forecaster), what it said at its last sample, and its recent steps. */
export class SignalModel {
  value = NaN;
  expected = NaN;
  lower = NaN;
  upper = NaN;
  score = 0;
  direction: Direction = 'none';
  lastAt = NaN;
  /** The last step it had no sample at and its detector scored the gap (NaN: none yet). */
  missingAt = NaN;
  ttf: TimeToFailure | null = null;
  /** Why `ttf` is null, for a signal with a limit (null: it is not, or no limit; timeToFailure.ts). */
  noForecast: NoForecast | null = null;
  /** value, expected, the band's half width, score per recent step (recentSteps.ts: 12 B a step keeps a fleet's history small). */
  readonly ring: Uint16Array;

  constructor(
    readonly spec: SignalSpec,
    public detector: StreamingDetector,
    public forecaster: CrossingForecaster | undefined,
    detailPoints: number
  ) {
    const { buffer, offset } = RING_SLAB.take(detailPoints * RING_WORDS * 2);
    this.ring = new Uint16Array(buffer, offset, detailPoints * RING_WORDS);
  }

  /**
   * Fresh models, and nothing said since (TargetModel.relearn). The ring is kept: its target's recent
   * steps are cleared, so what it holds is never shown (a new ring would keep the old one's slab alive).
   */
  restart(models: { detector: StreamingDetector; forecaster?: CrossingForecaster }): void {
    this.detector = models.detector;
    this.forecaster = models.forecaster;
    this.value = NaN;
    this.expected = NaN;
    this.lower = NaN;
    this.upper = NaN;
    this.score = 0;
    this.direction = 'none';
    this.lastAt = NaN;
    this.missingAt = NaN;
    this.ttf = null;
    this.noForecast = null;
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

/**
 * How abnormal a signal is at its last step, apart from whether it reported the event then: its
 * detector's unsuppressed `level`, or its score for detectors without one. What keeps an episode
 * open, and what healing reads.
 */
export function levelOf(s: SignalModel): number {
  return s.detector.level ?? s.score;
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
    // The detector's learning follows the watch's: a probation shorter than the detector's own
    // learning would leave faults just after it unseen (the detector learned them as normal). A
    // restored detector keeps the learning it was built with (its state holds it).
    detector: createProductDetector(settings.detector, threshold, settings.probation * settings.stepMs),
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
