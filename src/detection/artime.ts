import { Downsampler } from './artime/downsampler';
import { DIM, FeatureWindow, LEVELS, WINDOW } from './artime/featureWindow';
import { ArtBound, UNBOUNDED } from './artime/fuzzyArt';
import { ByteReader, ByteWriter } from './shared/bytes';
import { RESONANCE_SCALARS, Resonance } from './artime/resonance';
import { roundHalfEven } from './artime/windowMath';
import { checkState, DETECTOR_STATE_FORMAT, DetectorOptions, DetectorState, num, StreamingDetector } from './detector';
import { InputRange, RangeEstimate, rangeEstimateOf, ValueRange } from './inputRange';
import { isRecord } from './shared/json';

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

/**
 * 3: one binary field (ByteWriter) instead of JSON arrays; a bounded variant. 4: recent matches in
 * 16 bits (Resonance), scalars and the median histogram packed (`nums`).
 */
const VERSION = 4;
/** Feature windows per probation: sets the down-sampling step. */
const WINDOWS_PER_PROBATION = 13;
/** Complement-coded features: the ART's weights per category. */
const DIM_COMP = 2 * DIM;
/** Shortest probation that leaves init_rho a few windows to learn from. */
const MIN_PROBATION = 4 * WINDOW;
/** The state's scalars: five of the detector's, three of the feature window's, the resonance's, the category count. */
const SCALARS = 8 + RESONANCE_SCALARS + 1;

/**
 * ARTime (Mark Hampton, 2021; NAB's leading detector, published as ARTimeNAB.jl, read not copied):
 * adaptive resonance over windowed features. Assumes the probation period shows normal behaviour
 * and that an anomaly is a window shape or value never seen before.
 *
 * - Each `sstep` samples (probation / (8 * 13)) are down-sampled to one value (Downsampler),
 *   normalised to [0, 1] by the range, quantised to 80 levels and snapped to the running median
 *   level when within 0.075 (FeatureWindow).
 * - Features of the last 8 down-sampled values: their full Haar wavelet transform and the values
 *   themselves, min-max scaled, complement coded for fuzzy ART (FeatureWindow).
 * - The resonance core (Resonance): a distributed dual-vigilance fuzzy ART (Carpenter, Grossberg & Rosen 1991; da Silva, Elnabarawy
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
  private readonly trendWindow: number;
  private readonly hinted: boolean;
  private range: ValueRange;
  private lastT = -Infinity;
  private lastScore = 0;
  /** Samples seen (NAB's i - 1) and down-sampled values produced (NAB's dsi - 1). */
  private i = 0;
  private dsi = 0;
  private readonly downsampler: Downsampler;
  /** Raw down-sampled values of the probation, kept only when there is no range hint. */
  private pendingRaw: number[] = [];
  private readonly window = new FeatureWindow();
  /** Probation features, learned in one batch when it ends. */
  private probationFeatures: Float64Array[] = [];
  private readonly resonance: Resonance;
  /** Scratch for one window's features. */
  private readonly scratchF = new Float64Array(DIM);

  constructor(options: ArtimeOptions = {}, range?: InputRange, bound: ArtBound = UNBOUNDED) {
    const tp = options.trainingPoints;
    const given = typeof tp === 'number' && Number.isFinite(tp) && tp > 0 ? Math.floor(tp) : 750;
    const probation = Math.max(MIN_PROBATION, given);
    this.probation = probation - (probation % 2);
    const sstep = Math.max(1, roundHalfEven(Math.floor(this.probation / (WINDOW * WINDOWS_PER_PROBATION))));
    this.downsampler = new Downsampler(sstep);
    this.trendWindow = Math.floor(this.probation / sstep);
    this.hinted = range !== undefined;
    this.range = ValueRange.of(range, rangeEstimateOf(options, ARTIME_RANGE_ESTIMATE));
    this.resonance = new Resonance(this.trendWindow, bound);
    this.name = this.resonance.art.bounded ? 'artime-bounded' : 'artime';
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

  /** Most categories the ART may hold (Infinity: unbounded, as published). */
  get capacity(): number {
    return this.resonance.art.bound.capacity;
  }

  /** Categories the ART holds now (bounded: at most its capacity). */
  get categories(): number {
    return this.resonance.art.categories;
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
    const complete = this.downsampler.put(this.i, value);
    this.i++;
    const score = complete ? this.downsampled(this.downsampler.take(this.dsi === 0)) : 0;
    this.lastScore = score;
    return score;
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
    return this.resonance.detect(this.features(raw, dsi, this.scratchF), dsi);
  }

  /** Normalises by the range and writes the window's features into f. */
  private features(raw: number, dsi: number, f: Float64Array): Float64Array {
    const span = this.range.max - this.range.min;
    const shifted = raw - this.range.min;
    return this.window.features(span !== 0 ? shifted / span : shifted, dsi, f);
  }

  private learnProbation(): void {
    this.resonance.learnProbation(this.probationFeatures);
    this.probationFeatures = [];
  }

  /** The scalars of the state, in the order `fromState` reads them. */
  private scalars(): number[] {
    const fw = this.window;
    return [
      this.lastT,
      this.lastScore,
      this.i,
      this.dsi,
      this.downsampler.average,
      fw.medlevel,
      fw.belowmed,
      fw.abovemed,
      ...this.resonance.scalars(),
      this.resonance.art.categories,
    ];
  }

  toState(): DetectorState {
    const a = this.resonance.art;
    const w = new ByteWriter()
      .nums(this.scalars())
      .f64(this.downsampler.window)
      .u32([this.pendingRaw.length])
      .f64(this.pendingRaw)
      .nums(this.window.medbin)
      // Every feature window entry is a level / LEVELS.
      .u8(Array.from(this.window.values, (x) => Math.round(x * LEVELS)))
      .u32([this.probationFeatures.length]);
    this.probationFeatures.forEach((f) => w.f64(f));
    w.u16(this.resonance.simWindow).u16(this.resonance.simDiffWindow);
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
    const name = isRecord(state) && state.name === 'artime-bounded' ? 'artime-bounded' : 'artime';
    const st = checkState(state, name, VERSION);
    const bounded = name === 'artime-bounded';
    const options = { trainingPoints: num(st, 'probation'), maxCategories: bounded ? num(st, 'capacity') : undefined };
    const hint = st.hinted === true ? { inputMin: 0, inputMax: 1 } : undefined;
    const d = bounded ? ArtimeDetector.bounded(options, hint) : new ArtimeDetector(options, hint);
    d.range = ValueRange.fromState(st.range);
    if (d.range.fixed !== d.hinted) {
      throw new Error('Corrupt detector state: artime range does not match its hint flag');
    }
    const r = new ByteReader(st.bytes, 'bytes');
    const sc = r.nums(SCALARS);
    const fw = d.window;
    [d.lastT, d.lastScore, d.i, d.dsi, d.downsampler.average, fw.medlevel, fw.belowmed, fw.abovemed] = sc.subarray(
      0,
      8
    );
    d.resonance.restoreScalars(sc.subarray(8, 8 + RESONANCE_SCALARS));
    const categories = sc[SCALARS - 1];
    const a = d.resonance.art;
    if (!(Number.isInteger(categories) && categories >= 0 && categories <= a.bound.capacity)) {
      throw new Error('Corrupt detector state: artime category count');
    }
    if (!(Number.isInteger(d.i) && d.i >= 0 && Number.isInteger(d.dsi) && d.dsi >= 0)) {
      throw new Error('Corrupt detector state: artime sample counts');
    }
    if (!(Number.isInteger(fw.medlevel) && fw.medlevel >= 0 && fw.medlevel <= LEVELS)) {
      throw new Error('Corrupt detector state: artime median level');
    }
    d.downsampler.window.set(r.f64(d.downsampler.step));
    d.pendingRaw = Array.from(r.f64(r.u32(1)[0]));
    fw.medbin.set(r.nums(LEVELS + 1));
    if (!fw.medbin.every((x) => Number.isInteger(x) && x >= 0)) {
      throw new Error('Corrupt detector state: artime median histogram');
    }
    fw.values.set(Array.from(r.u8(WINDOW), (k) => k / LEVELS));
    const features = r.u32(1)[0];
    d.probationFeatures = Array.from({ length: features }, () => r.f64(DIM));
    d.resonance.simWindow.set(r.u16(d.resonance.simWindow.length));
    d.resonance.simDiffWindow.set(r.u16(d.resonance.simDiffWindow.length));
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
