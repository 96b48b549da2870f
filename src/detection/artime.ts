import {
  checkState,
  DETECTOR_STATE_FORMAT,
  DetectorOptions,
  DetectorState,
  num,
  numArray,
  StreamingDetector,
} from './detector';
import { InputRange, RangeEstimate, rangeEstimateOf, ValueRange } from './inputRange';

export interface ArtimeOptions extends DetectorOptions {
  /** Without a hint: the probation's range is widened by this many spans on each side (RangeEstimate). */
  rangeMargin?: number;
  /** Without a hint: a value outside the estimated range moves its edge (true) or is clamped (false). */
  rangeRenormalise?: boolean;
}

/** The range estimate without a hint: see RESULTS.md (issue 12) for the cross-validated choice. */
export const ARTIME_RANGE_ESTIMATE: RangeEstimate = { margin: 0.5, renormalise: false };

const VERSION = 2;
/** Samples per feature window (after down-sampling). */
const WINDOW = 8;
/** Feature windows per probation: sets the down-sampling step. */
const WINDOWS_PER_PROBATION = 13;
/** Quantisation levels of the normalised value. */
const LEVELS = 80;
/** A level closer than this to the running median is snapped to it. */
const CHOMP = 0.075;
const INITIAL_RHO = 0.8;
/** Down-sampled steps after an anomaly during which new categories are masked. */
const MASK = Math.floor(WINDOW * 1.5);
/** Features: the window's Haar wavelet coefficients and the window itself; complement coded. */
const DIM = 2 * WINDOW;
const DIM_COMP = 2 * DIM;
/** Shortest probation that leaves init_rho a few windows to learn from. */
const MIN_PROBATION = 4 * WINDOW;

/**
 * ARTime (Mark Hampton, 2021; NAB's leading detector, published as ARTimeNAB.jl, read not copied):
 * adaptive resonance over windowed features. Assumes the probation period shows normal behaviour
 * and that an anomaly is a window shape or value never seen before.
 *
 * - Each `sstep` samples (probation / (8 * 13)) are down-sampled to one value (the window's mean, or
 *   its extreme on the side away from a moving average when the spike is >= 10% of the mean),
 *   normalised to [0, 1] by the range, quantised to 80 levels and snapped to the running median
 *   level when within 0.075.
 * - Features of the last 8 down-sampled values: their full Haar wavelet transform and the values
 *   themselves, min-max scaled, complement coded for fuzzy ART.
 * - A distributed dual-vigilance fuzzy ART (Carpenter, Grossberg & Rosen 1991; da Silva, Elnabarawy
 *   & Wunsch 2019), with match = |x ^ w| / |w| cubed times the similarity of the newest value
 *   squared: categories matching above the upper vigilance learn (fast commit), otherwise the
 *   window becomes a new category; no category above the lower vigilance is a new cluster, which
 *   is the candidate anomaly, scored by how far below both vigilances it fell.
 * - Probation is learned in one batch; the initial vigilance is the mean match of an ART at 0.8
 *   trained on the probation windows ordered least-typical first. After it the vigilances follow
 *   the mean match (upper) and the lowest recent match (lower), re-set every half probation and
 *   12 steps after each anomaly.
 * - Masking: for 12 steps after an anomaly, and after any new cluster until 12 steps pass with
 *   none, a new cluster counts only if its match is below 0.9 (0.7 once the 12 steps are over) of
 *   the last anomaly's match.
 *
 * The range: NAB gave ARTime each file's minimum and maximum (`range`); without it (the product)
 * the probation is buffered and normalised when it ends with its own range widened by a margin,
 * and later values outside it are clamped or re-normalise it (ARTIME_RANGE_ESTIMATE, RangeEstimate).
 */
export class ArtimeDetector implements StreamingDetector {
  readonly name = 'artime';
  readonly expected = NaN;
  readonly lower = NaN;
  readonly upper = NaN;
  private readonly probation: number;
  private readonly sstep: number;
  private readonly trendWindow: number;
  private readonly hinted: boolean;
  private range: ValueRange;
  private lastT = -Infinity;
  private lastScore = 0;
  /** Samples seen (NAB's i - 1) and down-sampled values produced (NAB's dsi - 1). */
  private i = 0;
  private dsi = 0;
  private readonly dsWindow: Float64Array;
  private dsAverage = 0;
  /** Raw down-sampled values of the probation, kept only when there is no range hint. */
  private pendingRaw: number[] = [];
  private readonly medbin = new Float64Array(LEVELS + 1);
  private medlevel = 0;
  private belowmed = 0;
  private abovemed = 0;
  private readonly fWindow = new Float64Array(WINDOW);
  /** Probation features, learned in one batch when it ends. */
  private probationFeatures: Float64Array[] = [];
  // The ART: categories as rows of DIM_COMP weights.
  private weights = new Float64Array(0);
  private categories = 0;
  private rhoLb = 0;
  private rhoUb = 0;
  // Classification state.
  private lastAnomalyI = 0;
  private lastAnomalySim = 0;
  private lastRhoUpdateI = 0;
  private maskAfterCat = false;
  private noNewCatCount = 0;
  private historyCount = 0;
  private historySum = 0;
  private historyLast = 0;
  private rhoUbSum = 0;
  private rhoUbCount = 0;
  private readonly simWindow: Float64Array;
  private readonly simDiffWindow: Float64Array;

  constructor(options: ArtimeOptions = {}, range?: InputRange) {
    const tp = options.trainingPoints;
    const given = typeof tp === 'number' && Number.isFinite(tp) && tp > 0 ? Math.floor(tp) : 750;
    const probation = Math.max(MIN_PROBATION, given);
    this.probation = probation - (probation % 2);
    this.sstep = Math.max(1, roundHalfEven(Math.floor(this.probation / (WINDOW * WINDOWS_PER_PROBATION))));
    this.trendWindow = Math.floor(this.probation / this.sstep);
    this.hinted = range !== undefined;
    this.range = ValueRange.of(range, rangeEstimateOf(options, ARTIME_RANGE_ESTIMATE));
    this.dsWindow = new Float64Array(this.sstep);
    this.simWindow = new Float64Array(Math.floor(this.trendWindow / 2) + 1).fill(1);
    this.simDiffWindow = new Float64Array(this.trendWindow + 1);
  }

  get level(): number {
    return this.lastScore;
  }

  /** True until the probation has been learned (ARTime does not score before). */
  get learning(): boolean {
    return this.dsi < this.trendWindow;
  }

  update(timestampMs: number, value: number): number {
    if (!Number.isFinite(value) || !(timestampMs > this.lastT)) {
      return this.lastScore;
    }
    this.lastT = timestampMs;
    this.range.see(value);
    this.dsWindow.copyWithin(0, 1);
    this.dsWindow[this.sstep - 1] = value;
    this.i++;
    let score = 0;
    if (this.i % this.sstep === 0) {
      score = this.downsampled(this.downsample());
    }
    this.lastScore = score;
    return score;
  }

  /** One value for the last sstep samples: the mean, or a spike of at least 10% of it. */
  private downsample(): number {
    const w = this.dsWindow;
    let sum = 0;
    let max = -Infinity;
    let min = Infinity;
    for (let k = 0; k < w.length; k++) {
      sum += w[k];
      max = Math.max(max, w[k]);
      min = Math.min(min, w[k]);
    }
    const mean = sum / w.length;
    if (this.dsi === 0) {
      this.dsAverage = mean;
    }
    this.dsAverage = (this.dsAverage + mean) / 2;
    let ds = Math.abs(max - this.dsAverage) < Math.abs(min - this.dsAverage) ? min : max;
    if (Math.abs(ds - mean) < 0.1 * mean) {
      ds = mean;
    }
    return ds;
  }

  /** Feeds one down-sampled value; returns its anomaly score. */
  private downsampled(raw: number): number {
    if (!this.hinted && this.dsi < this.trendWindow) {
      // Without a hint the probation's range is known only when it ends: buffer until then.
      this.pendingRaw.push(raw);
      this.dsi++;
      if (this.dsi === this.trendWindow) {
        this.range.settle();
        const pending = this.pendingRaw;
        this.pendingRaw = [];
        pending.forEach((r, k) => this.probationFeatures.push(this.features(r, k + 1)));
        this.learnProbation();
      }
      return 0;
    }
    const dsi = ++this.dsi;
    const f = this.features(raw, dsi);
    if (dsi <= this.trendWindow) {
      this.probationFeatures.push(f);
      if (dsi === this.trendWindow) {
        this.learnProbation();
      }
      return 0;
    }
    return this.detect(f, dsi);
  }

  /** Normalise, quantise, snap to the running median, and build the window's features. */
  private features(raw: number, dsi: number): Float64Array {
    const span = this.range.max - this.range.min;
    let ds = raw - this.range.min;
    if (span !== 0) {
      ds /= span;
    }
    const level = Math.min(LEVELS, Math.max(0, roundHalfEven(ds * LEVELS)));
    ds = level / LEVELS;
    const bin = this.medbin;
    bin[level]++;
    const medpos = Math.floor(dsi / 2);
    if (dsi === 1) {
      this.medlevel = level;
    }
    if (this.medlevel > level) {
      this.belowmed++;
    } else if (this.medlevel < level) {
      this.abovemed++;
    }
    // Not strictly a running median (as published): one level per value at most.
    if (medpos < this.abovemed) {
      this.belowmed += bin[this.medlevel];
      this.medlevel++;
      while (bin[this.medlevel] === 0) {
        this.medlevel++;
      }
      this.abovemed -= bin[this.medlevel];
    } else if (medpos < this.belowmed) {
      this.abovemed += bin[this.medlevel];
      this.medlevel--;
      while (bin[this.medlevel] === 0) {
        this.medlevel--;
      }
      this.belowmed -= bin[this.medlevel];
    }
    const med = this.medlevel / LEVELS;
    if (Math.abs(ds - med) < CHOMP) {
      ds = med;
    }
    const fw = this.fWindow;
    fw.copyWithin(0, 1);
    fw[WINDOW - 1] = ds;
    const f = new Float64Array(DIM);
    if (dsi >= WINDOW) {
      const dw = minMaxScaled(fw);
      const wav = minMaxScaled(haar(dw));
      f.set(wav, 0);
      f.set(fw, WINDOW);
    }
    return f;
  }

  /** The probation in one batch: initial vigilance, then every window learned in order. */
  private learnProbation(): void {
    const rho = this.initialRho(this.probationFeatures.slice(WINDOW - 1));
    this.rhoLb = rho;
    this.rhoUb = rho;
    this.probationFeatures.forEach((f, k) => this.detect(f, k + 1));
    this.probationFeatures = [];
  }

  /**
   * Mean match (second half) of a fresh ART at vigilance 0.8 trained on the windows ordered by
   * their summed cosine similarity to the others, least typical first.
   */
  private initialRho(xs: Float64Array[]): number {
    const n = xs.length;
    const sums = new Float64Array(n);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        sums[a] += a === b ? 1 : cosineLike(xs[a], xs[b]);
      }
    }
    const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => sums[a] - sums[b]);
    const art = new Art();
    art.rhoLb = INITIAL_RHO;
    art.rhoUb = INITIAL_RHO;
    const matches = order.map((k) => art.train(xs[k], true).match);
    const from = Math.floor(this.trendWindow / 2) - 1;
    let sum = 0;
    for (let k = from; k < n; k++) {
      sum += matches[k];
    }
    return sum / (n - from);
  }

  /** NAB's detect!: classify one window, score a masked-or-not new cluster, adapt the vigilances. */
  private detect(f: Float64Array, i: number): number {
    const sinceAnomaly = i - this.lastAnomalyI;
    const updateAfterAnomaly = sinceAnomaly === MASK;
    const updateForTrend = i - this.lastRhoUpdateI >= Math.floor(this.trendWindow / 2);
    const maskAfterAnomaly = sinceAnomaly <= MASK;
    if (i > this.trendWindow + MASK && this.maskAfterCat && this.noNewCatCount >= MASK) {
      this.maskAfterCat = false;
    }
    const art = this.art();
    const { match, energy, newCluster } = art.train(f, i >= WINDOW);
    this.weights = art.weights;
    this.categories = art.categories;
    const cat = i < WINDOW || newCluster ? -1 : 1;
    this.noNewCatCount = cat === -1 ? 0 : this.noNewCatCount + 1;
    this.rhoUbSum += match;
    this.rhoUbCount++;
    shift(this.simWindow, match);
    shift(this.simDiffWindow, this.rhoUb - match);
    if (sinceAnomaly < MASK && this.historyCount > 0 && match < this.historyLast) {
      this.historySum += match - this.historyLast;
      this.historyLast = match;
    }
    const masking = this.maskAfterCat || maskAfterAnomaly;
    const belowLast = match < this.lastAnomalySim * (maskAfterAnomaly ? 0.9 : 0.7);
    let anomaly = 0;
    if (i > this.trendWindow && cat === -1 && (!masking || belowLast)) {
      anomaly = this.confidence(match, energy);
      this.historySum += match;
      this.historyCount++;
      this.historyLast = match;
      this.lastAnomalySim = match;
      this.lastAnomalyI = i;
    }
    this.maskAfterCat = cat === -1 || this.maskAfterCat;
    if (i > this.trendWindow && (updateAfterAnomaly || updateForTrend)) {
      this.updateRho(i);
    }
    return anomaly;
  }

  private updateRho(i: number): void {
    const minSim = Math.min(...this.simWindow);
    const ub = Math.min(0.97, this.rhoUbSum / this.rhoUbCount);
    let lb: number;
    if (this.rhoLb <= minSim) {
      lb = this.rhoLb + (minSim - this.rhoLb) * 0.19;
    } else {
      let decr = 0;
      if (i > this.trendWindow * 2) {
        let sum = 0;
        let count = 0;
        for (const d of this.simDiffWindow) {
          if (d > 0.05) {
            sum += Math.min(0.37, d);
            count++;
          }
        }
        decr = count > 0 ? sum / count : 0;
      }
      lb = this.rhoLb - Math.max(0.01, decr) / 2;
      if (this.historyCount > 0) {
        lb = Math.max(this.historySum / this.historyCount, lb);
      }
    }
    this.rhoLb = Math.min(ub, lb);
    this.rhoUb = ub;
    this.lastRhoUpdateI = i;
    this.maskAfterCat = true;
  }

  /** How far the match fell below both vigilances, plus how unlike the newest value was. */
  private confidence(match: number, energy: number): number {
    const m = Math.min(0.999, match);
    const ub = (1 - m - (1 - this.rhoUb)) / (1 - m);
    const lb = (1 - m - (1 - this.rhoLb)) / (1 - m);
    const s = Math.min(1, ub * 0.35 + lb * 0.65 + (1 - energy) * 1.5);
    return Math.round(s * 1e6) / 1e6;
  }

  private art(): Art {
    const art = new Art(this.weights, this.categories);
    art.rhoLb = this.rhoLb;
    art.rhoUb = this.rhoUb;
    return art;
  }

  toState(): DetectorState {
    return {
      format: DETECTOR_STATE_FORMAT,
      name: this.name,
      version: VERSION,
      probation: this.probation,
      hinted: this.hinted,
      range: this.range.toState(),
      scalars: [
        this.lastT,
        this.lastScore,
        this.i,
        this.dsi,
        this.dsAverage,
        this.medlevel,
        this.belowmed,
        this.abovemed,
        this.rhoLb,
        this.rhoUb,
        this.lastAnomalyI,
        this.lastAnomalySim,
        this.lastRhoUpdateI,
        this.maskAfterCat ? 1 : 0,
        this.noNewCatCount,
        this.historyCount,
        this.historySum,
        this.historyLast,
        this.rhoUbSum,
        this.rhoUbCount,
        this.categories,
      ].map((x) => (Number.isFinite(x) ? x : null)),
      dsWindow: Array.from(this.dsWindow),
      pendingRaw: this.pendingRaw,
      medbin: Array.from(this.medbin),
      fWindow: Array.from(this.fWindow),
      probationFeatures: this.probationFeatures.map((f) => Array.from(f)),
      weights: Array.from(this.weights.subarray(0, this.categories * DIM_COMP)),
      simWindow: Array.from(this.simWindow),
      simDiffWindow: Array.from(this.simDiffWindow),
    };
  }

  static fromState(state: unknown): ArtimeDetector {
    const st = checkState(state, 'artime', VERSION);
    const probation = num(st, 'probation');
    const d = new ArtimeDetector(
      { trainingPoints: probation },
      st.hinted === true ? { inputMin: 0, inputMax: 1 } : undefined
    );
    d.range = ValueRange.fromState(st.range);
    if (d.range.fixed !== d.hinted) {
      throw new Error('Corrupt detector state: artime range does not match its hint flag');
    }
    const sc = numArray(st, 'scalars', 21);
    // lastT is the only scalar that may be infinite (-Infinity before the first sample).
    const at = (k: number): number => (Number.isNaN(sc[k]) && k === 0 ? -Infinity : sc[k]);
    [d.lastT, d.lastScore, d.i, d.dsi, d.dsAverage] = [0, 1, 2, 3, 4].map(at);
    [d.medlevel, d.belowmed, d.abovemed, d.rhoLb, d.rhoUb, d.lastAnomalyI, d.lastAnomalySim] = [
      5, 6, 7, 8, 9, 10, 11,
    ].map(at);
    d.lastRhoUpdateI = at(12);
    d.maskAfterCat = at(13) === 1;
    [d.noNewCatCount, d.historyCount, d.historySum, d.historyLast, d.rhoUbSum, d.rhoUbCount, d.categories] = [
      14, 15, 16, 17, 18, 19, 20,
    ].map(at);
    if (!Number.isInteger(d.categories) || d.categories < 0) {
      throw new Error('Corrupt detector state: artime category count');
    }
    d.dsWindow.set(numArray(st, 'dsWindow', d.sstep));
    d.pendingRaw = Array.from(numArray(st, 'pendingRaw', arrayLength(st.pendingRaw)));
    d.medbin.set(numArray(st, 'medbin', LEVELS + 1));
    d.fWindow.set(numArray(st, 'fWindow', WINDOW));
    const pf = st.probationFeatures;
    if (!Array.isArray(pf)) {
      throw new Error('Corrupt detector state: artime probationFeatures');
    }
    d.probationFeatures = pf.map((_, k) => numArray(pf as unknown as Record<string, unknown>, String(k), DIM));
    d.weights = Float64Array.from(numArray(st, 'weights', d.categories * DIM_COMP));
    d.simWindow.set(numArray(st, 'simWindow', d.simWindow.length));
    d.simDiffWindow.set(numArray(st, 'simDiffWindow', d.simDiffWindow.length));
    return d;
  }
}

/**
 * The compact distributed dual-vigilance fuzzy ART ARTime uses. Match of category w for the
 * complement-coded x: (|x ^ w| / |w|)^3 * e^2, where e is the same ratio over the newest value and
 * its complement only.
 */
class Art {
  rhoLb = 0;
  rhoUb = 0;
  private readonly x = new Float64Array(DIM_COMP);

  constructor(
    public weights = new Float64Array(0),
    public categories = 0
  ) {}

  /** Classifies f (and learns when asked): best match, its newest-value similarity, new cluster? */
  train(f: Float64Array, learning: boolean): { match: number; energy: number; newCluster: boolean } {
    if (this.categories === 0) {
      // The first call creates an uncommitted category (all ones) and is not learned.
      this.weights = new Float64Array(16 * DIM_COMP).fill(1, 0, DIM_COMP);
      this.categories = 1;
      return { match: 0, energy: 0, newCluster: false };
    }
    const x = this.x;
    for (let k = 0; k < DIM; k++) {
      x[k] = f[k];
      x[k + DIM] = 1 - f[k];
    }
    let best = 0;
    let bestEnergy = 0;
    let resonant = false;
    const w = this.weights;
    for (let c = 0; c < this.categories; c++) {
      const o = c * DIM_COMP;
      let inter = 0;
      let norm = 0;
      for (let k = 0; k < DIM_COMP; k++) {
        const wk = w[o + k];
        inter += x[k] < wk ? x[k] : wk;
        norm += wk;
      }
      const similarity = inter / (norm === 0 ? 0.001 : norm);
      const eNum = Math.min(x[DIM - 1], w[o + DIM - 1]) + Math.min(x[DIM_COMP - 1], w[o + DIM_COMP - 1]);
      const eDen = w[o + DIM - 1] + w[o + DIM_COMP - 1];
      // 0/0 (a category that learned both extremes of the newest value) counts as no similarity.
      const energy = eDen === 0 ? 0 : eNum / eDen;
      const m = similarity * similarity * similarity * energy * energy;
      if (m > best) {
        best = m;
        bestEnergy = energy;
      }
      if (learning && m >= this.rhoUb) {
        // Fast learning: every category above the upper vigilance shrinks to x ^ w.
        for (let k = 0; k < DIM_COMP; k++) {
          w[o + k] = Math.min(x[k], w[o + k]);
        }
        resonant = true;
      }
    }
    if (!learning || resonant) {
      return { match: best, energy: bestEnergy, newCluster: false };
    }
    // No resonance: x becomes a new category; below the lower vigilance, of a new cluster.
    if ((this.categories + 1) * DIM_COMP > w.length) {
      const grown = new Float64Array(w.length * 2);
      grown.set(w);
      this.weights = grown;
    }
    this.weights.set(x, this.categories * DIM_COMP);
    this.categories++;
    return { match: best, energy: bestEnergy, newCluster: best < this.rhoLb };
  }
}

/** Close to cosine similarity, as ARTime's (a zero vector's similarity is 1 - |other|). */
function cosineLike(a: Float64Array, b: Float64Array): number {
  let na = 0;
  let nb = 0;
  let dot = 0;
  for (let k = 0; k < a.length; k++) {
    na += a[k] * a[k];
    nb += b[k] * b[k];
    dot += a[k] * b[k];
  }
  na = Math.sqrt(na);
  nb = Math.sqrt(nb);
  if (na === 0) {
    return 1 - nb;
  }
  return nb === 0 ? 1 - na : dot / (na * nb);
}

/** Full orthonormal Haar transform of a power-of-two length: [approximation, coarsest detail, ..., finest details]. */
function haar(x: Float64Array): Float64Array {
  const out = Float64Array.from(x);
  const tmp = new Float64Array(x.length);
  for (let len = x.length; len > 1; len >>= 1) {
    const half = len >> 1;
    for (let k = 0; k < half; k++) {
      tmp[k] = (out[2 * k] + out[2 * k + 1]) / Math.SQRT2;
      tmp[half + k] = (out[2 * k] - out[2 * k + 1]) / Math.SQRT2;
    }
    out.set(tmp.subarray(0, len));
  }
  return out;
}

/** x - min(x), divided by its maximum when that is not 0. */
function minMaxScaled(x: Float64Array): Float64Array {
  const min = Math.min(...x);
  const out = Float64Array.from(x, (v) => v - min);
  const max = Math.max(...out);
  return max !== 0 ? out.map((v) => v / max) : out;
}

/** Drops the oldest entry and appends v. */
function shift(a: Float64Array, v: number): void {
  a.copyWithin(0, 1);
  a[a.length - 1] = v;
}

/** Julia's round(Int, x): nearest, ties to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function arrayLength(v: unknown): number {
  return Array.isArray(v) ? v.length : -1;
}
