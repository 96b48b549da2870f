import { SCORE_HISTORY_POINTS, type TargetDetail } from '../../contract/pipeline';
import { RING_FIELDS, type SignalModel } from './signal';
import { downsampleMax } from './targets';

/** A slot's score in the first signal's ring when the target had no sample at that slot's step. */
const UNRECORDED = NaN;

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
      if (t >= this.firstAt && !Number.isNaN(signals[0].ring[slot * RING_FIELDS + 3])) {
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
        const r = slot * RING_FIELDS;
        const expected = s.ring[r + 1];
        const half = s.ring[r + 2];
        return {
          t,
          value: num(s.ring[r]),
          expected: num(expected),
          lower: num(expected - half),
          upper: num(expected + half),
          score: s.ring[r + 3],
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
        score = Math.max(score, s.ring[slot * RING_FIELDS + 3]);
      }
      // The ring holds float32: rounding drops digits it never had, which would only bloat the JSON.
      return [t, Math.round(score * 1e4) / 1e4];
    });
    return downsampleMax(steps, maxPoints);
  }

  /**
   * Keeps step t of every signal (a signal without a sample at t keeps no value and score 0). Steps
   * skipped since the last one recorded are marked unrecorded (t: on the grid, after the last step).
   */
  record(t: number, signals: readonly SignalModel[]): void {
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
        signals[0].ring[((this.last + k) % n) * RING_FIELDS + 3] = UNRECORDED;
      }
      slot = (this.last + ahead) % n;
    }
    for (const s of signals) {
      const r = slot * RING_FIELDS;
      const fresh = s.lastAt === t;
      s.ring[r] = fresh ? s.value : NaN;
      s.ring[r + 1] = s.expected;
      s.ring[r + 2] = (s.upper - s.lower) / 2;
      s.ring[r + 3] = fresh ? s.score : 0;
    }
    this.last = slot;
    this.lastAt = t;
  }
}
