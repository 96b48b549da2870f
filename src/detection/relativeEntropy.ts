import { checkState, DetectorOptions, DetectorState, num, stateEnvelope, StreamingDetector } from './detector';
import { isFiniteList } from './shared/json';
import { InputRange, ValueRange } from './inputRange';

const VERSION = 1;
/** Bins values are quantised into, window length, and how often a hypothesis must recur to be normal (NAB's settings). */
const BINS = 5;
const WINDOW = 52;
const RECURRENCE = 1;
/** Probability of wrongly rejecting a true hypothesis. */
const FALSE_REJECTION = 0.01;

/** Upper tail of the chi-squared distribution with an even number of degrees of freedom (closed form). */
function chiSquaredTailEven(x: number, df: number): number {
  let term = 1;
  let sum = 1;
  for (let j = 1; j < df / 2; j++) {
    term *= x / 2 / j;
    sum += term;
  }
  return Math.exp(-x / 2) * sum;
}

/** The x whose chi-squared upper tail is `p` (bisection; the tail falls monotonically). */
function chiSquaredQuantileEven(p: number, df: number): number {
  let lo = 0;
  let hi = 1000;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (chiSquaredTailEven(mid, df) > p) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return (lo + hi) / 2;
}

/** Relative-entropy test statistic above which a window disagrees with a hypothesis. */
const REJECT_ABOVE = chiSquaredQuantileEven(FALSE_REJECTION, BINS - 1);

/**
 * Relative entropy with multiple hypotheses (Wang et al., "Statistical techniques for online anomaly
 * detection in data centers", IFIP/IEEE IM 2011, Figure 1; NAB's `relative_entropy` detector).
 * Assumes normal behaviour is a small set of recurring value distributions: each sample's window of
 * the last 52 values, quantised into 5 bins over the value range, is compared with every hypothesis
 * (an earlier window's histogram) by 2·W·KL(window ‖ hypothesis), which for a true hypothesis
 * follows a chi-squared law with 4 degrees of freedom. The score is 1 when the window agrees with
 * none at the 1% level (it becomes a new hypothesis) or only with one seen too rarely, else 0. The
 * range is the file's min/max when hinted (as NAB did), otherwise the min/max seen so far.
 */
export class RelativeEntropyDetector implements StreamingDetector {
  readonly name = 'relativeentropy';
  readonly expected = NaN;
  readonly lower = NaN;
  readonly upper = NaN;
  private readonly window = new Float64Array(WINDOW);
  private head = 0;
  private count = 0;
  /** Hypotheses: BINS frequencies each, flat. */
  private hypotheses: number[] = [];
  private agreements: number[] = [];
  private range: ValueRange;
  private lastT = -Infinity;
  private lastScore = 0;
  private readonly histogram = new Float64Array(BINS);

  constructor(_options: DetectorOptions = {}, hint?: InputRange) {
    this.range = ValueRange.of(hint);
  }

  update(timestampMs: number, value: number): number {
    if (!Number.isFinite(value) || !(timestampMs > this.lastT)) {
      return this.lastScore;
    }
    this.lastT = timestampMs;
    this.range.see(value);
    this.window[this.head] = value;
    this.head = (this.head + 1) % WINDOW;
    this.count = Math.min(WINDOW, this.count + 1);
    const step = (this.range.max - this.range.min) / BINS;
    let score = 0;
    // A range of zero (a flat series so far) has nothing to quantise: every sample is normal.
    if (step > 0 && this.count === WINDOW && this.windowHistogram(step)) {
      score = this.test();
    }
    this.lastScore = score;
    return score;
  }

  /** Frequencies of the window's quantised values; false if none lies in the range (only possible with a hint). */
  private windowHistogram(step: number): boolean {
    const h = this.histogram;
    h.fill(0);
    let inRange = 0;
    for (let i = 0; i < WINDOW; i++) {
      // Quantised value 0..5 (ceil of steps above the minimum); as in NAB's histogram, 4 and 5 share the last bin.
      const b = Math.ceil((this.window[i] - this.range.min) / step);
      if (b >= 0 && b <= BINS) {
        h[Math.min(b, BINS - 1)]++;
        inRange++;
      }
    }
    if (inRange === 0) {
      return false;
    }
    for (let k = 0; k < BINS; k++) {
      h[k] /= inRange;
    }
    return true;
  }

  private test(): number {
    const m = this.agreements.length;
    if (m === 0) {
      this.adopt();
      return 0;
    }
    let best = -1;
    let bestEntropy = Infinity;
    for (let i = 0; i < m; i++) {
      const e = 2 * WINDOW * this.relativeEntropy(i);
      if (e < REJECT_ABOVE && e < bestEntropy) {
        bestEntropy = e;
        best = i;
      }
    }
    if (best < 0) {
      this.adopt();
      return 1;
    }
    this.agreements[best]++;
    return this.agreements[best] <= RECURRENCE ? 1 : 0;
  }

  /** KL divergence of the window's histogram from hypothesis i (natural log; infinite where it has mass the hypothesis lacks). */
  private relativeEntropy(i: number): number {
    let kl = 0;
    for (let k = 0; k < BINS; k++) {
      const p = this.histogram[k];
      if (p > 0) {
        const q = this.hypotheses[i * BINS + k];
        if (q === 0) {
          return Infinity;
        }
        kl += p * Math.log(p / q);
      }
    }
    return kl;
  }

  private adopt(): void {
    this.hypotheses.push(...this.histogram);
    this.agreements.push(1);
  }

  toState(): DetectorState {
    return {
      ...stateEnvelope(this.name, VERSION),
      range: this.range.toState(),
      window: Array.from(this.window),
      head: this.head,
      count: this.count,
      hypotheses: [...this.hypotheses],
      agreements: [...this.agreements],
      lastT: Number.isFinite(this.lastT) ? this.lastT : null,
      lastScore: this.lastScore,
    };
  }

  static fromState(state: unknown): RelativeEntropyDetector {
    const s = checkState(state, 'relativeentropy', VERSION);
    const d = new RelativeEntropyDetector({});
    d.range = ValueRange.fromState(s.range);
    const window = s.window;
    if (!isFiniteList(window) || window.length !== WINDOW) {
      throw new Error(`Corrupt detector state: field "window" is not an array of ${WINDOW} numbers`);
    }
    d.window.set(window);
    d.head = num(s, 'head');
    d.count = num(s, 'count');
    if (!(Number.isInteger(d.head) && d.head >= 0 && d.head < WINDOW && d.count >= 0 && d.count <= WINDOW)) {
      throw new Error('Corrupt detector state: relativeentropy window indices out of range');
    }
    const { hypotheses, agreements } = s;
    if (
      !isFiniteList(agreements) ||
      !agreements.every((c) => Number.isInteger(c) && c >= 1) ||
      !isFiniteList(hypotheses) ||
      hypotheses.length !== agreements.length * BINS ||
      !hypotheses.every((p) => p >= 0 && p <= 1)
    ) {
      throw new Error('Corrupt detector state: relativeentropy hypotheses are not frequencies with counts');
    }
    d.hypotheses = hypotheses;
    d.agreements = agreements;
    d.lastT = s.lastT === null ? -Infinity : num(s, 'lastT');
    d.lastScore = num(s, 'lastScore');
    return d;
  }
}
