import { SCORE_HISTORY_POINTS, type TargetDetail } from '../../contract/pipeline';
import type { SignalModel } from './signal';
import { downsampleMax } from './targets';

/**
 * The times of a target's last `points` steps, a ring whose slots index each signal's own ring
 * (value, expected, lower, upper, score per slot): what the detail view and the sparkline show.
 */
export class RecentSteps {
  private readonly times: Float64Array;
  private next = 0;
  private size = 0;

  constructor(private readonly points: number) {
    this.times = new Float64Array(points);
  }

  /** Recent steps of each signal, oldest first, for the detail view. */
  recent(signals: readonly SignalModel[]): TargetDetail['series'] {
    const out: TargetDetail['series'] = {};
    const n = this.points;
    const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
    for (const s of signals) {
      const points = [];
      for (let k = 0; k < this.size; k++) {
        const slot = (this.next - this.size + k + n) % n;
        const r = slot * 5;
        points.push({
          t: this.times[slot],
          value: num(s.ring[r]),
          expected: num(s.ring[r + 1]),
          lower: num(s.ring[r + 2]),
          upper: num(s.ring[r + 3]),
          score: s.ring[r + 4],
        });
      }
      out[s.spec.name] = points;
    }
    return out;
  }

  /**
   * The target's score (its highest signal score) at each recent step, `[t, score]` oldest first,
   * downsampled to at most `maxPoints` keeping each slice's peak: the Overview's sparkline.
   */
  scoreHistory(signals: readonly SignalModel[], maxPoints = SCORE_HISTORY_POINTS): Array<[number, number]> {
    const n = this.points;
    const steps: Array<[number, number]> = [];
    for (let k = 0; k < this.size; k++) {
      const slot = (this.next - this.size + k + n) % n;
      let score = 0;
      for (const s of signals) {
        score = Math.max(score, s.ring[slot * 5 + 4]);
      }
      // The ring holds float32: rounding drops digits it never had, which would only bloat the JSON.
      steps.push([this.times[slot], Math.round(score * 1e4) / 1e4]);
    }
    return downsampleMax(steps, maxPoints);
  }

  /** Keeps step t of every signal (a signal without a sample at t keeps no value and score 0). */
  record(t: number, signals: readonly SignalModel[]): void {
    const n = this.points;
    if (n === 0) {
      return;
    }
    const slot = this.next;
    this.times[slot] = t;
    for (const s of signals) {
      const r = slot * 5;
      const fresh = s.lastAt === t;
      s.ring[r] = fresh ? s.value : NaN;
      s.ring[r + 1] = s.expected;
      s.ring[r + 2] = s.lower;
      s.ring[r + 3] = s.upper;
      s.ring[r + 4] = fresh ? s.score : 0;
    }
    this.next = (slot + 1) % n;
    this.size = Math.min(n, this.size + 1);
  }
}
