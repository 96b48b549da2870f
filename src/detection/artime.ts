import { ArtBound, FuzzyArt, UNBOUNDED } from './artime/fuzzyArt';
import { ByteReader, ByteWriter } from './artime/bytes';
import { cosineLike, haar, minMaxScaled, roundHalfEven, shift } from './artime/windowMath';
import { checkState, DETECTOR_STATE_FORMAT, DetectorOptions, DetectorState, num, StreamingDetector } from './detector';
import { InputRange, RangeEstimate, rangeEstimateOf, ValueRange } from './inputRange';

export interface ArtimeOptions extends DetectorOptions {
  /** Without a hint: the probation's range is widened by this many spans on each side (RangeEstimate). */
  rangeMargin?: number;
  /** Without a hint: a value outside the estimated range moves its edge (true) or is clamped (false). */
  rangeRenormalise?: boolean;
  /** `artime-bounded` only: most categories held (default ARTIME_CATEGORIES). */
  maxCategories?: number;
}

/** The range estimate without a hint: see RESULTS.md (issue 12) for the cross-validated choice. */
export const ARTIME_RANGE_ESTIMATE: RangeEstimate = { margin: 0.5, renormalise: false };

/**
 * `artime-bounded`: categories held (see FuzzyArt for the merging rule), chosen on the dev files
 * (RESULTS.md, issue 12), and weights quantised to bytes, so the state has a fixed size.
 */
export const ARTIME_CATEGORIES = 40;
const WEIGHT_LEVELS = 255;

/** 3: one binary field (ByteWriter) instead of JSON arrays; a bounded variant. */
const VERSION = 3;
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
 *
 * `artime-bounded` (`ArtimeDetector.bounded`) is the same detector with a fixed-size ART: at most
 * ARTIME_CATEGORIES categories (the closest two merged when a new one is needed, see FuzzyArt) and weights in
 * bytes, so its state is a few KiB and its speed does not fall as a series runs.
 */
export class ArtimeDetector implements StreamingDetector {
  readonly name: 'artime' | 'artime-bounded';
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
  /** The last sstep samples, a ring (the down-sampling does not depend on their order). */
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
  private readonly art: FuzzyArt;
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
  /** Recent matches and their distances below the upper vigilance (single precision, as stored). */
  private readonly simWindow: Float32Array;
  private readonly simDiffWindow: Float32Array;
  // Scratch for one window's features.
  private readonly scratchF = new Float64Array(DIM);
  private readonly scratchA = new Float64Array(WINDOW);
  private readonly scratchB = new Float64Array(WINDOW);

  constructor(options: ArtimeOptions = {}, range?: InputRange, bound: ArtBound = UNBOUNDED) {
    const tp = options.trainingPoints;
    const given = typeof tp === 'number' && Number.isFinite(tp) && tp > 0 ? Math.floor(tp) : 750;
    const probation = Math.max(MIN_PROBATION, given);
    this.probation = probation - (probation % 2);
    this.sstep = Math.max(1, roundHalfEven(Math.floor(this.probation / (WINDOW * WINDOWS_PER_PROBATION))));
    this.trendWindow = Math.floor(this.probation / this.sstep);
    this.hinted = range !== undefined;
    this.range = ValueRange.of(range, rangeEstimateOf(options, ARTIME_RANGE_ESTIMATE));
    this.dsWindow = new Float64Array(this.sstep);
    this.simWindow = new Float32Array(Math.floor(this.trendWindow / 2) + 1).fill(1);
    this.simDiffWindow = new Float32Array(this.trendWindow + 1);
    this.art = new FuzzyArt(DIM, bound);
    this.name = this.art.bounded ? 'artime-bounded' : 'artime';
  }

  /** The fixed-size variant (`artime-bounded`): see the class comment. */
  static bounded(options: ArtimeOptions = {}, range?: InputRange): ArtimeDetector {
    const capacity = options.maxCategories ?? ARTIME_CATEGORIES;
    if (!(Number.isInteger(capacity) && capacity >= 2 && capacity <= 4096)) {
      throw new Error(`maxCategories must be an integer from 2 to 4096, got ${String(options.maxCategories)}`);
    }
    return new ArtimeDetector(options, range, { capacity, levels: WEIGHT_LEVELS });
  }

  get level(): number {
    return this.lastScore;
  }

  /** Categories the ART holds now (bounded: at most its capacity). */
  get categories(): number {
    return this.art.categories;
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
    this.dsWindow[this.i % this.sstep] = value;
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
        pending.forEach((r, k) => this.probationFeatures.push(this.features(r, k + 1, new Float64Array(DIM))));
        this.learnProbation();
      }
      return 0;
    }
    const dsi = ++this.dsi;
    if (dsi <= this.trendWindow) {
      this.probationFeatures.push(this.features(raw, dsi, new Float64Array(DIM)));
      if (dsi === this.trendWindow) {
        this.learnProbation();
      }
      return 0;
    }
    return this.detect(this.features(raw, dsi, this.scratchF), dsi);
  }

  /** Normalise, quantise, snap to the running median, and write the window's features into f. */
  private features(raw: number, dsi: number, f: Float64Array): Float64Array {
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
    f.fill(0);
    if (dsi >= WINDOW) {
      const dw = minMaxScaled(fw, this.scratchA);
      const wav = minMaxScaled(haar(dw, this.scratchB), this.scratchB);
      f.set(wav, 0);
      f.set(fw, WINDOW);
    }
    return f;
  }

  /** The probation in one batch: initial vigilance, then every window learned in order. */
  private learnProbation(): void {
    const rho = this.initialRho(this.probationFeatures.slice(WINDOW - 1));
    this.art.rhoLb = rho;
    this.art.rhoUb = rho;
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
    const art = new FuzzyArt(DIM, this.art.bound);
    art.rhoLb = INITIAL_RHO;
    art.rhoUb = INITIAL_RHO;
    const matches = order.map((k) => {
      art.train(xs[k], true);
      return art.match;
    });
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
    const art = this.art;
    art.train(f, i >= WINDOW);
    const { match, energy, newCluster } = art;
    const cat = i < WINDOW || newCluster ? -1 : 1;
    this.noNewCatCount = cat === -1 ? 0 : this.noNewCatCount + 1;
    this.rhoUbSum += match;
    this.rhoUbCount++;
    shift(this.simWindow, match);
    shift(this.simDiffWindow, art.rhoUb - match);
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
    let minSim = Infinity;
    for (const m of this.simWindow) {
      minSim = Math.min(minSim, m);
    }
    const ub = Math.min(0.97, this.rhoUbSum / this.rhoUbCount);
    const art = this.art;
    let lb: number;
    if (art.rhoLb <= minSim) {
      lb = art.rhoLb + (minSim - art.rhoLb) * 0.19;
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
      lb = art.rhoLb - Math.max(0.01, decr) / 2;
      if (this.historyCount > 0) {
        lb = Math.max(this.historySum / this.historyCount, lb);
      }
    }
    art.rhoLb = Math.min(ub, lb);
    art.rhoUb = ub;
    this.lastRhoUpdateI = i;
    this.maskAfterCat = true;
  }

  /** How far the match fell below both vigilances, plus how unlike the newest value was. */
  private confidence(match: number, energy: number): number {
    const m = Math.min(0.999, match);
    const ub = (1 - m - (1 - this.art.rhoUb)) / (1 - m);
    const lb = (1 - m - (1 - this.art.rhoLb)) / (1 - m);
    const s = Math.min(1, ub * 0.35 + lb * 0.65 + (1 - energy) * 1.5);
    return Math.round(s * 1e6) / 1e6;
  }

  /** The scalars of the state, in the order `fromState` reads them. */
  private scalars(): number[] {
    const a = this.art;
    return [
      this.lastT,
      this.lastScore,
      this.i,
      this.dsi,
      this.dsAverage,
      this.medlevel,
      this.belowmed,
      this.abovemed,
      a.rhoLb,
      a.rhoUb,
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
      a.categories,
    ];
  }

  toState(): DetectorState {
    const a = this.art;
    const w = new ByteWriter()
      .f64(this.scalars())
      .f64(this.dsWindow)
      .u32([this.pendingRaw.length])
      .f64(this.pendingRaw)
      .u32(this.medbin)
      // Every fWindow entry is a level / LEVELS.
      .u8(Array.from(this.fWindow, (x) => Math.round(x * LEVELS)))
      .u32([this.probationFeatures.length]);
    this.probationFeatures.forEach((f) => w.f64(f));
    w.f32(this.simWindow).f32(this.simDiffWindow);
    const weights = a.weights.subarray(0, a.categories * DIM_COMP);
    if (a.bound.levels > 0) {
      w.u8(Array.from(weights, (x) => Math.round(x * a.bound.levels)));
    } else {
      w.f64(weights);
    }
    return {
      format: DETECTOR_STATE_FORMAT,
      name: this.name,
      version: VERSION,
      probation: this.probation,
      hinted: this.hinted,
      ...(a.bounded ? { capacity: a.bound.capacity } : {}),
      range: this.range.toState(),
      bytes: w.toBase64(),
    };
  }

  static fromState(state: unknown): ArtimeDetector {
    const name = (state as { name?: unknown } | null)?.name === 'artime-bounded' ? 'artime-bounded' : 'artime';
    const st = checkState(state, name, VERSION);
    const options = { trainingPoints: num(st, 'probation'), maxCategories: st.capacity as number };
    const hint = st.hinted === true ? { inputMin: 0, inputMax: 1 } : undefined;
    const d = name === 'artime-bounded' ? ArtimeDetector.bounded(options, hint) : new ArtimeDetector(options, hint);
    d.range = ValueRange.fromState(st.range);
    if (d.range.fixed !== d.hinted) {
      throw new Error('Corrupt detector state: artime range does not match its hint flag');
    }
    const r = new ByteReader(st.bytes, 'bytes');
    const sc = r.f64(21);
    [d.lastT, d.lastScore, d.i, d.dsi, d.dsAverage, d.medlevel, d.belowmed, d.abovemed] = sc.subarray(0, 8);
    const a = d.art;
    [a.rhoLb, a.rhoUb, d.lastAnomalyI, d.lastAnomalySim, d.lastRhoUpdateI] = sc.subarray(8, 13);
    d.maskAfterCat = sc[13] === 1;
    [d.noNewCatCount, d.historyCount, d.historySum, d.historyLast, d.rhoUbSum, d.rhoUbCount] = sc.subarray(14, 20);
    const categories = sc[20];
    if (!(Number.isInteger(categories) && categories >= 0 && categories <= a.bound.capacity)) {
      throw new Error('Corrupt detector state: artime category count');
    }
    if (!(Number.isInteger(d.i) && d.i >= 0 && Number.isInteger(d.dsi) && d.dsi >= 0)) {
      throw new Error('Corrupt detector state: artime sample counts');
    }
    if (!(Number.isInteger(d.medlevel) && d.medlevel >= 0 && d.medlevel <= LEVELS)) {
      throw new Error('Corrupt detector state: artime median level');
    }
    d.dsWindow.set(r.f64(d.sstep));
    d.pendingRaw = Array.from(r.f64(r.u32(1)[0]));
    d.medbin.set(r.u32(LEVELS + 1));
    d.fWindow.set(Array.from(r.u8(WINDOW), (k) => k / LEVELS));
    const features = r.u32(1)[0];
    d.probationFeatures = Array.from({ length: features }, () => r.f64(DIM));
    d.simWindow.set(r.f32(d.simWindow.length));
    d.simDiffWindow.set(r.f32(d.simDiffWindow.length));
    const n = categories * DIM_COMP;
    const weights = a.bounded ? Float64Array.from(r.u8(n), (k) => k / a.bound.levels) : r.f64(n);
    r.end();
    if (!weights.every((x) => x >= 0 && x <= 1)) {
      throw new Error('Corrupt detector state: artime weights outside [0, 1]');
    }
    a.restore(weights, categories);
    return d;
  }
}
