import { SCORE_HISTORY_POINTS, type TargetDetail } from '../../contract/pipeline';
import * as arrays from '../../detection/shared/arrays';
import { RING_WORDS, type SignalModel } from './signal';
import { downsampleMax } from './targets';

/** Bound once: run by tsx (CommonJS), each call of an imported function is first a getter call of esbuild's interop. */
const { getF24, getF32, putF24Pair, putF32 } = arrays;

/** Steps of a score in the ring: a word holds round(score * SCORE_STEPS), the word above them marks an unrecorded slot. */
export const SCORE_STEPS = 0xfffe;

/** A slot's score word in the first signal's ring when the target had no sample at that slot's step. */
const UNRECORDED = 0xffff;

/**
 * A score as the ring keeps it: to 1/65534 (the pages draw it at 2 decimals), and on the side of the
 * threshold it was judged against, so a step the detail view marks as over the threshold is one that was.
 */
export function scoreWord(score: number, threshold: number): number {
  let q = Math.round(Math.min(1, Math.max(0, score)) * SCORE_STEPS);
  if (score >= threshold) {
    q += q / SCORE_STEPS < threshold ? 1 : 0;
  } else {
    q -= q / SCORE_STEPS >= threshold ? 1 : 0;
  }
  return q;
}

/**
 * Where each field starts in a step's RING_WORDS words: the value as a float32 (two words), the
 * expected value and the band's half width in 24 bits each (three words, arrays.ts' putF24Pair: 4-5
 * digits; the detail page's step text, 3 digits, changes at about 1 step in 100-200, its side of the
 * band at none measured: RESULTS.md, bytes26), then the score's word.
 */
const VALUE = 0;
const BAND = 2;
const SCORE = 5;

/**
 * The last `points` steps of a target's grid, a ring whose slots index each signal's own ring
 * (value, expected, half width, score per slot): what the detail view and the sparkline show.
 * Every target steps on its watch's grid, so a slot's time follows from the last step recorded and
 * its distance to it: no times are kept (issue 16: 120 float64 per target were 92 MiB at 100,000
 * targets). Steps the target had no sample at are slots marked unrecorded, and are not shown.
 */
export class RecentSteps {
  /** The slot of the last step recorded. */
  private last = 0;
  private lastAt = NaN;
  private firstAt = NaN;

  constructor(
    private readonly points: number,
    private readonly stepMs: number
  ) {}

  /** Forgets every step recorded: the next one starts the ring again. */
  clear(): void {
    this.last = 0;
    this.lastAt = NaN;
    this.firstAt = NaN;
  }

  /** The recorded slots, oldest first, with their times. */
  private slots(signals: readonly SignalModel[]): Array<{ slot: number; t: number }> {
    const n = this.points;
    const out: Array<{ slot: number; t: number }> = [];
    if (n === 0 || Number.isNaN(this.lastAt) || signals.length === 0) {
      return out;
    }
    for (let back = n - 1; back >= 0; back--) {
      const slot = (this.last - back + n) % n;
      const t = this.lastAt - back * this.stepMs;
      if (t >= this.firstAt && signals[0].ring[slot * RING_WORDS + SCORE] !== UNRECORDED) {
        out.push({ slot, t });
      }
    }
    return out;
  }

  /** Recent steps of each signal, oldest first, for the detail view. */
  recent(signals: readonly SignalModel[]): TargetDetail['series'] {
    const out: TargetDetail['series'] = {};
    const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
    const slots = this.slots(signals);
    for (const s of signals) {
      out[s.spec.name] = slots.map(({ slot, t }) => {
        const r = slot * RING_WORDS;
        const expected = getF24(s.ring, r + BAND, 0);
        const half = getF24(s.ring, r + BAND, 1);
        return {
          t,
          value: num(getF32(s.ring, r + VALUE)),
          expected: num(expected),
          lower: num(expected - half),
          upper: num(expected + half),
          score: s.ring[r + SCORE] / SCORE_STEPS,
        };
      });
    }
    return out;
  }

  /**
   * The target's score (its highest signal score) at each recent step, `[t, score]` oldest first,
   * downsampled to at most `maxPoints` keeping each slice's peak: the Overview's sparkline.
   */
  scoreHistory(signals: readonly SignalModel[], maxPoints = SCORE_HISTORY_POINTS): Array<[number, number]> {
    const steps = this.slots(signals).map(({ slot, t }): [number, number] => {
      let score = 0;
      for (const s of signals) {
        score = Math.max(score, s.ring[slot * RING_WORDS + SCORE] / SCORE_STEPS);
      }
      // The ring holds a score to 1/65534: rounding drops digits it never had, which would only bloat the JSON.
      return [t, Math.round(score * 1e4) / 1e4];
    });
    return downsampleMax(steps, maxPoints);
  }

  /**
   * Keeps step t of every signal (a signal without a sample at t keeps no value and score 0), its
   * scores judged against `threshold`. Steps skipped since the last one recorded are marked
   * unrecorded (t: on the grid, after the last step).
   */
  record(t: number, signals: readonly SignalModel[], threshold: number): void {
    const n = this.points;
    if (n === 0 || signals.length === 0) {
      return;
    }
    let slot = 0;
    if (Number.isNaN(this.lastAt)) {
      this.firstAt = t;
    } else {
      const ahead = Math.max(1, Math.round((t - this.lastAt) / this.stepMs));
      for (let k = 1; k < Math.min(ahead, n); k++) {
        signals[0].ring[((this.last + k) % n) * RING_WORDS + SCORE] = UNRECORDED;
      }
      slot = (this.last + ahead) % n;
    }
    for (const s of signals) {
      const r = slot * RING_WORDS;
      const fresh = s.lastAt === t;
      putF32(s.ring, r + VALUE, fresh ? s.value : NaN);
      putF24Pair(s.ring, r + BAND, s.expected, (s.upper - s.lower) / 2);
      s.ring[r + SCORE] = fresh ? scoreWord(s.score, threshold) : 0;
    }
    this.last = slot;
    this.lastAt = t;
  }
}
