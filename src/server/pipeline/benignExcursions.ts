import { z } from 'zod';
import { LIMIT_DIRECTIONS, type LimitDirection } from '../../detection';
import type { Anomaly } from '../../contract/pipeline';
import { sideOf, type SignalModel } from './signal';

/**
 * What an operator's "false positive" leaves its target with (retraining.ts): during the anomaly
 * they marked, `signal` left its band on `side` as far as `extreme`, `departure` away from the value
 * its detector expected then. A later step of that signal on that side no further out is benign
 * (stepVerdict.ts): anomaly scores saturate at 1, so no threshold can tell the operator's benign
 * spike from a fault, but the value it reached can.
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
 * How much further out than its extreme a recurrence may go and still be the benign excursion, as a
 * share of that extreme's departure from the expected value. The same benign cause (a nightly job, a
 * batch) never peaks at exactly the same value twice: a fifth of its departure absorbs that, while a
 * fault reaching a fifth further than anything the operator called benign is a larger fault, and a
 * larger fault is never hidden behind an earlier one (issue 12, item 4). Relative to the departure,
 * not the value, so a signal far from zero (a temperature of 300 K) gets no wider allowance for it.
 */
export const BENIGN_MARGIN = 0.2;

/**
 * Where a signal's value at its last step lies against the benign excursions of its side: `within`
 * one of them, `beyond` all of them, or `undefined` when its side has none.
 */
export function benignReach(s: SignalModel, excursions: readonly BenignExcursion[]): 'within' | 'beyond' | undefined {
  // A gross-fault call (a value stuck flat, a first drop to 0, ...) is another fault than the shape the
  // operator called benign, wherever its value lies: it is never within (issue 12, item 4).
  if (s.detector.faultCall === true) {
    return 'beyond';
  }
  const side = sideOf(s);
  let reach: 'within' | 'beyond' | undefined;
  for (const e of excursions) {
    if (e.signal !== s.spec.name || e.side !== side) {
      continue;
    }
    if (side === 'above' ? s.value <= allowance(e) : s.value >= allowance(e)) {
      return 'within';
    }
    reach = 'beyond';
  }
  return reach;
}

/** How far out a value of its signal and side may go and still be this excursion. */
function allowance(e: BenignExcursion): number {
  return e.extreme + (e.side === 'above' ? 1 : -1) * BENIGN_MARGIN * e.departure;
}

/** The furthest a signal went on one side during an episode, and its detector's expected value then. */
interface Furthest {
  value: number;
  expected: number;
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
    this.anomalies.forEach((a, i) => {
      const sides = t >= a.start && t <= a.end ? this.furthest[i].get(signal) : undefined;
      if (!sides) {
        return;
      }
      if (!(value <= (sides.above?.value ?? -Infinity))) {
        sides.above = { value, expected };
      }
      if (!(value >= (sides.below?.value ?? Infinity))) {
        sides.below = { value, expected };
      }
    });
  }

  /**
   * Per signal and side the false positives moved it on, the excursion that allows the furthest (the
   * others allow nothing more); at most KEPT_EXCURSIONS, the signals and sides the newest moved first.
   */
  excursions(): BenignExcursion[] {
    const widest = new Map<string, BenignExcursion>();
    this.anomalies.forEach((a, i) => {
      for (const [signal, sides] of this.furthest[i]) {
        const side = sideMoved(a, signal, sides);
        const f = side && sides[side];
        if (!side || !f) {
          continue;
        }
        const departure = Number.isFinite(f.expected) ? Math.abs(f.value - f.expected) : 0;
        const e = { anomalyId: a.id, signal, side, extreme: f.value, departure };
        const key = `${side} ${signal}`;
        const kept = widest.get(key);
        const out = side === 'above' ? 1 : -1;
        if (!kept || allowance(e) * out > allowance(kept) * out) {
          widest.set(key, e);
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
  const away = (side: LimitDirection): number => {
    const f = sides[side];
    return f ? (side === 'above' ? 1 : -1) * (f.value - f.expected) : NaN;
  };
  const above = away('above');
  const below = away('below');
  if (Number.isNaN(above) || Number.isNaN(below)) {
    return Number.isNaN(above) === Number.isNaN(below) ? told : Number.isNaN(above) ? 'below' : 'above';
  }
  return above >= below ? 'above' : 'below';
}
