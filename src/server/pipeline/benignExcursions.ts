import { z } from 'zod';
import { LIMIT_DIRECTIONS, type LimitDirection } from '../../detection';
import type { Anomaly } from '../../contract/pipeline';
import { sideOf, type SignalModel } from './signal';

/**
 * What an operator's "false positive" leaves its target with (retraining.ts): during the anomaly
 * they marked, `signal` left its band on `side` as far as `departure` from the value its detector
 * expected then, at the value `extreme` (what the operator saw, kept in the model version's params).
 * A later step of that signal on that side departing no further from the value expected at that step
 * is benign (stepVerdict.ts): anomaly scores saturate at 1, so no threshold can tell the operator's
 * benign spike from a fault, but how far it went can. Measured from the expected value, not as a
 * value, because the baseline moves: after a temperature drifted down, a value at the old extreme is
 * a larger fault than the benign one (issue 12, item 4); after traffic grew, the same nightly job
 * peaks above the old extreme and is still the job the operator called benign.
 */
export const benignExcursionSchema = z.object({
  anomalyId: z.number().int(),
  signal: z.string(),
  side: z.enum(LIMIT_DIRECTIONS),
  extreme: z.number(),
  departure: z.number().nonnegative(),
});
export type BenignExcursion = z.infer<typeof benignExcursionSchema>;

/**
 * The most excursions a target keeps (one per signal and side: the widest). A target with more signals
 * than that keeps those of its newest false positives; the rest of its state stays small.
 */
export const KEPT_EXCURSIONS = 8;

/** A target without any (most): one frozen array for all of them. */
export const NO_BENIGN_EXCURSIONS: readonly BenignExcursion[] = Object.freeze([]);

/**
 * How much further from the expected value than its departure a recurrence may go and still be the
 * benign excursion, as a share of that departure. The same benign cause (a nightly job, a batch) never
 * departs by exactly the same amount twice: a fifth of its departure absorbs that, while a fault
 * departing a fifth further than anything the operator called benign is a larger fault, and a larger
 * fault is never hidden behind an earlier one (issue 12, item 4). Relative to the departure, not the
 * value, so a signal far from zero (a temperature of 300 K) gets no wider allowance for it.
 */
export const BENIGN_MARGIN = 0.2;

/**
 * Where a signal's departure at its last step lies against the benign excursions of its side: `within`
 * one of them, `beyond` all of them, or `undefined` when its side has none.
 */
export function benignReach(s: SignalModel, excursions: readonly BenignExcursion[]): 'within' | 'beyond' | undefined {
  // A gross-fault call (a value stuck flat, a first drop to 0, ...) is another fault than the shape the
  // operator called benign, wherever its value lies: it is never within (issue 12, item 4).
  if (s.detector.faultCall === true) {
    return 'beyond';
  }
  const side = sideOf(s);
  // NaN when its detector expects nothing: no departure to compare, so never within.
  const departure = (side === 'above' ? 1 : -1) * (s.value - s.expected);
  let reach: 'within' | 'beyond' | undefined;
  for (const e of excursions) {
    if (e.signal !== s.spec.name || e.side !== side) {
      continue;
    }
    if (departure <= (1 + BENIGN_MARGIN) * e.departure) {
      return 'within';
    }
    reach = 'beyond';
  }
  return reach;
}

/** The step a signal departed furthest from its expected value on one side during an episode. */
interface Furthest {
  value: number;
  /** How far out that side from the expected value (negative: it never left the expected value that way). */
  departure: number;
}

/**
 * Measures, on the history retraining replays, how far each signal a false-positive anomaly moved
 * went out during it: `observe` each replayed sample with its detector's expected value at that step,
 * then take the `excursions`.
 */
export class BenignMeasure {
  /** Per anomaly (newest first), per signal it moved, the furthest on each side. */
  private readonly furthest: Array<Map<string, Record<LimitDirection, Furthest | undefined>>>;

  /** `anomalies`: a target's false positives in the history, newest first; `signals`: the names of its signals. */
  constructor(
    private readonly anomalies: readonly Anomaly[],
    signals: readonly string[]
  ) {
    this.furthest = anomalies.map(
      (a) =>
        new Map(
          // Only signals that left their band: a stop, a peer departure or a forecast names the signal with a suffix.
          a.signals
            .filter((name) => signals.includes(name))
            .map((name) => [name, { above: undefined, below: undefined }])
        )
    );
  }

  observe(signal: string, t: number, value: number, expected: number): void {
    // A sample its detector expected nothing of departs from nothing: it measures no excursion.
    if (!Number.isFinite(expected)) {
      return;
    }
    this.anomalies.forEach((a, i) => {
      const sides = t >= a.start && t <= a.end ? this.furthest[i].get(signal) : undefined;
      if (!sides) {
        return;
      }
      if (value - expected > (sides.above?.departure ?? -Infinity)) {
        sides.above = { value, departure: value - expected };
      }
      if (expected - value > (sides.below?.departure ?? -Infinity)) {
        sides.below = { value, departure: expected - value };
      }
    });
  }

  /**
   * Per signal and side the false positives moved it on, the excursion that departed furthest (the
   * others allow nothing more); at most KEPT_EXCURSIONS, the signals and sides the newest moved first.
   */
  excursions(): BenignExcursion[] {
    const widest = new Map<string, BenignExcursion>();
    this.anomalies.forEach((a, i) => {
      for (const [signal, sides] of this.furthest[i]) {
        const side = sideMoved(a, signal, sides);
        const f = side && sides[side];
        // A side it never left its expected value on allows nothing.
        if (!side || !f || !(f.departure > 0)) {
          continue;
        }
        const key = `${side} ${signal}`;
        const kept = widest.get(key);
        if (!kept || f.departure > kept.departure) {
          widest.set(key, { anomalyId: a.id, signal, side, extreme: f.value, departure: f.departure });
        }
      }
    });
    // A map keeps its keys in the order first set: the signals and sides the newest anomalies moved first.
    return [...widest.values()].slice(0, KEPT_EXCURSIONS);
  }
}

/**
 * The side a signal left its band on during the anomaly: the anomaly's direction for the signal the
 * operator saw peak (what the Overview showed them); for another signal it moved, the side it went
 * further from its expected value on (an anomaly has one direction, its signals may have moved both ways).
 */
function sideMoved(
  a: Anomaly,
  signal: string,
  sides: Record<LimitDirection, Furthest | undefined>
): LimitDirection | undefined {
  const told = a.direction === 'above' || a.direction === 'below' ? a.direction : undefined;
  if (told && (a.peak?.signal ?? a.signals[0]) === signal) {
    return told;
  }
  // Both sides are measured from the same samples: none, when it had no sample during the anomaly.
  if (!sides.above || !sides.below) {
    return told;
  }
  return sides.above.departure >= sides.below.departure ? 'above' : 'below';
}
