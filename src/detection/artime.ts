import { Downsampler } from './artime/downsampler';
import { ARTIME_PROBATION_MS, planProbation, samplesInTime } from './artime/probation';
import { DIM, FeatureWindow, LEVELS, WINDOW } from './artime/featureWindow';
import { ArtBound, UNBOUNDED } from './artime/artBound';
import { ByteReader, ByteWriter } from './shared/bytes';
import { NO_NUMBERS } from './shared/arrays';
import {
  checkCategories,
  LEARNED_SCALARS,
  type Learned,
  newLearned,
  readLearned,
  readWeights,
  restoreLearned,
  writeLearned,
} from './artime/learned';
import { rescaleLearned } from './artime/rangeSeen';
import { checkState, DETECTOR_STATE_FORMAT, DetectorOptions, DetectorState, num, StreamingDetector } from './detector';
import { InputRange, RangeEstimate, rangeEstimateOf, ValueRange } from './inputRange';
import { isRecord } from './shared/json';
import { Bandless } from './shared/band';
import { boundOf, sharedEstimate } from './artime/settings';

export interface ArtimeOptions extends DetectorOptions {
  /** Without a hint: the probation's range is widened by this many spans on each side (RangeEstimate). */
  rangeMargin?: number;
  /** Without a hint: a value outside the estimated range moves its edge (true) or is clamped (false). */
  rangeRenormalise?: boolean;
  /** Without a hint, with rangeRenormalise: a moved range re-expresses what was learned (RangeEstimate). */
  rangeRescale?: boolean;
  /** `artime-bounded` only: most categories held (default ARTIME_CATEGORIES). */
  maxCategories?: number;
}

/** The range estimate without a hint: see RESULTS.md (issue 12) for the cross-validated choice. */
export const ARTIME_RANGE_ESTIMATE: RangeEstimate = { margin: 0.5, renormalise: false };
export { ARTIME_RANGE_SEEN } from './artime/rangeSeen';
export { ARTIME_PROBATION_MS, MAX_PROBATION } from './artime/probation';

/**
 * `artime-bounded`: categories held (see FuzzyArt for the merging rule), chosen on the dev files
 * (RESULTS.md, issue 12); its weights are quantised to bytes (boundOf), so the state has a fixed size.
 */
export const ARTIME_CATEGORIES = 40;

/**
 * 3: one binary field (ByteWriter) instead of JSON arrays; a bounded variant. 4: recent matches in
 * 16 bits (Resonance), scalars and the median histogram packed (`nums`). 5: a probation in time
 * (`probationMs`), the down-sampler's running sums instead of its window, and during the probation
 * only its down-sampled values (no feature window, median histogram or ART until it ends).
 */
const VERSION = 5;
/** Version 4 (issue 12's v6) is still read: see `fromV4`. */
const V4 = 4;
/** The state's scalars: five of the detector's, the down-sampler's sum, minimum and maximum. */
const SCALARS = 8;

/** Scratch for one window's features, shared by every detector (single-threaded; used within one call). */
const scratchF = new Float64Array(DIM);

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
 * the probation is normalised when it ends with its own range widened by a margin, and later values
 * outside it are clamped or re-normalise it, with what was learned re-expressed (ARTIME_RANGE_SEEN).
 *
 * The probation: `trainingPoints` samples when given (NAB's runs); otherwise ARTIME_PROBATION_MS of
 * the series' step. Either way only its down-sampled values are kept until it ends (about 104
 * numbers, sized once); their features are built then, exactly as if built one by one.
 *
 * `artime-bounded` (`ArtimeDetector.bounded`) is the same detector with a fixed-size ART: at most
 * ARTIME_CATEGORIES categories (the closest two merged when a new one is needed, see FuzzyArt) and weights in
 * bytes, so its state is a few KiB and its speed does not fall as a series runs.
 */
export class ArtimeDetector extends Bandless implements StreamingDetector {
  readonly name: 'artime' | 'artime-bounded';
  /** A probation in time (no `trainingPoints`), in ms; undefined: one of `probation` samples. */
  private probationMs: number | undefined;
  /** Samples of the probation, and what they fix: 0 until known (in time: at the second sample). */
  private probation = 0;
  private sstep = 0;
  private trendWindow = 0;
  private readonly hinted: boolean;
  private range: ValueRange;
  private lastT = -Infinity;
  private lastScore = 0;
  /** Samples seen (NAB's i - 1) and down-sampled values produced (NAB's dsi - 1). */
  private i = 0;
  private dsi = 0;
  private readonly downsampler = new Downsampler();
  /** The probation's raw down-sampled values, learned in one batch when it ends. */
  private pending = NO_NUMBERS;
  /** Set in the constructor (to nothing), so it is held in the object, not in a property array added later (40 B). */
  private learned: Learned | undefined = undefined;

  constructor(
    options: ArtimeOptions = {},
    range?: InputRange,
    private readonly bound: ArtBound = UNBOUNDED
  ) {
    super();
    const tp = options.trainingPoints;
    const given = typeof tp === 'number' && Number.isFinite(tp) && tp > 0 ? Math.floor(tp) : undefined;
    this.probationMs = given === undefined ? ARTIME_PROBATION_MS : undefined;
    if (given !== undefined) {
      this.plan(given);
    }
    this.hinted = range !== undefined;
    this.range = ValueRange.of(range, sharedEstimate(rangeEstimateOf(options, ARTIME_RANGE_ESTIMATE)));
    this.name = Number.isFinite(bound.capacity) ? 'artime-bounded' : 'artime';
  }

  /** The fixed-size variant (`artime-bounded`): see the class comment. */
  static bounded(options: ArtimeOptions = {}, range?: InputRange): ArtimeDetector {
    const capacity = options.maxCategories ?? ARTIME_CATEGORIES;
    if (!(Number.isInteger(capacity) && capacity >= 2 && capacity <= 4096)) {
      throw new Error(`maxCategories must be an integer from 2 to 4096, got ${String(options.maxCategories)}`);
    }
    return new ArtimeDetector(options, range, boundOf(capacity));
  }

  get level(): number {
    return this.lastScore;
  }

  /** Most categories the ART may hold (Infinity: unbounded, as published). */
  get capacity(): number {
    return this.bound.capacity;
  }

  /** Categories the ART holds now (bounded: at most its capacity; none during the probation). */
  get categories(): number {
    return this.learned?.resonance.art.categories ?? 0;
  }

  /** True until the probation has been learned (ARTime does not score before). */
  get learning(): boolean {
    return this.learned === undefined;
  }

  /** Whether the last sample completed a down-sampled window that the learned ART judged (its score is that window's). */
  get windowCompleted(): boolean {
    return this.learned !== undefined && this.i % this.sstep === 0;
  }

  /** Samples still to see before the probation is learned (0 once learned, and until a probation in time knows its length). */
  get samplesToLearn(): number {
    return this.learning ? Math.max(0, this.trendWindow * this.sstep - this.i) : 0;
  }

  /** Samples in the probation: 0 while a probation in time waits for the series' step. */
  get probationSamples(): number {
    return this.probation;
  }

  /** Down-sampled values the probation buffer holds room for (0 once it is learned). */
  get bufferLength(): number {
    return this.pending.length;
  }

  /** Fixes the probation at `samples` (planProbation) and sizes its buffer. */
  private plan(samples: number): void {
    ({ probation: this.probation, sstep: this.sstep, trendWindow: this.trendWindow } = planProbation(samples));
    this.pending = new Float64Array(this.trendWindow);
  }

  update(timestampMs: number, value: number): number {
    if (!Number.isFinite(value) || !(timestampMs > this.lastT)) {
      return this.lastScore;
    }
    if (this.probation === 0 && this.i === 1 && this.probationMs !== undefined) {
      // The second sample: the step is known, and so the probation's samples; the first sample,
      // held in the down-sampler, may complete a window.
      this.plan(samplesInTime(this.probationMs, timestampMs - this.lastT));
      this.completed();
    }
    this.lastT = timestampMs;
    this.range.see(value);
    this.downsampler.add(value);
    this.i++;
    const score = this.probation > 0 ? this.completed() : 0;
    this.lastScore = score;
    return score;
  }

  /** Down-samples the window the last sample completed, if it did; returns its score (0 if none). */
  private completed(): number {
    if (this.i % this.sstep !== 0) {
      return 0;
    }
    const raw = this.downsampler.take(this.sstep, this.dsi === 0);
    const learned = this.learned;
    if (learned === undefined) {
      this.pending[this.dsi++] = raw;
      if (this.dsi === this.trendWindow) {
        this.learnProbation();
      }
      return 0;
    }
    // What was learned is re-expressed when next used, so at most once a down-sampled step.
    const from = this.range.moved;
    if (from !== undefined && rescaleLearned(learned, from, this.range)) {
      this.range.reexpressed();
    }
    const dsi = ++this.dsi;
    return learned.resonance.detect(this.features(learned.window, raw, dsi, scratchF), dsi);
  }

  /** Normalises by the range and writes the window's features into f. */
  private features(window: FeatureWindow, raw: number, dsi: number, f: Float64Array): Float64Array {
    const span = this.range.max - this.range.min;
    const shifted = raw - this.range.min;
    return window.features(span !== 0 ? shifted / span : shifted, dsi, f);
  }

  /**
   * The probation ends: the range settles (without a hint), each down-sampled value's features are
   * built in order (as they would have been one by one: a hinted range never moves) and learned.
   */
  private learnProbation(): void {
    this.range.settle();
    const { window, resonance } = newLearned(this.trendWindow, this.bound);
    const all = new Float64Array(this.trendWindow * DIM);
    const features = Array.from(this.pending, (raw, k) =>
      this.features(window, raw, k + 1, all.subarray(k * DIM, (k + 1) * DIM))
    );
    resonance.learnProbation(features);
    this.learned = { window, resonance };
    this.pending = NO_NUMBERS;
  }

  /** The scalars every state holds, in the order `fromState` reads them. */
  private scalars(): number[] {
    const ds = this.downsampler;
    return [this.lastT, this.lastScore, this.i, this.dsi, ds.average, ds.sum, ds.min, ds.max];
  }

  toState(): DetectorState {
    const w = new ByteWriter().nums(this.scalars());
    const learned = this.learned;
    if (learned === undefined) {
      w.f64(this.pending.subarray(0, this.dsi));
    } else {
      writeLearned(w, learned);
    }
    return {
      format: DETECTOR_STATE_FORMAT,
      name: this.name,
      version: VERSION,
      probation: this.probation,
      ...(this.probationMs !== undefined ? { probationMs: this.probationMs } : {}),
      hinted: this.hinted,
      ...(Number.isFinite(this.bound.capacity) ? { capacity: this.bound.capacity } : {}),
      range: this.range.toState(),
      bytes: w.toBase64(),
    };
  }

  static fromState(state: unknown): ArtimeDetector {
    const name = isRecord(state) && state.name === 'artime-bounded' ? 'artime-bounded' : 'artime';
    if (isRecord(state) && state.version === V4) {
      return ArtimeDetector.fromV4(checkState(state, name, V4), name);
    }
    const st = checkState(state, name, VERSION);
    const probation = num(st, 'probation');
    const inTime = st.probationMs !== undefined;
    if (!(Number.isInteger(probation) && probation >= 0 && (probation > 0 || inTime))) {
      throw new Error('Corrupt detector state: artime probation');
    }
    const ms = inTime ? num(st, 'probationMs') : undefined;
    if (ms !== undefined && !(ms > 0 && Number.isFinite(ms))) {
      throw new Error('Corrupt detector state: artime probationMs');
    }
    const d = ArtimeDetector.blank(st, name, ms === undefined ? probation : undefined);
    if (ms !== undefined) {
      d.probationMs = ms;
      if (probation > 0) {
        d.plan(probation);
      }
    }
    const r = new ByteReader(st.bytes, 'bytes');
    const ds = d.downsampler;
    [d.lastT, d.lastScore, d.i, d.dsi, ds.average, ds.sum, ds.min, ds.max] = r.nums(SCALARS);
    d.checkCounts();
    if (d.dsi < d.trendWindow || d.probation === 0) {
      d.pending.set(r.f64(d.dsi));
    } else {
      d.learned = readLearned(r, d.trendWindow, d.bound);
      d.pending = NO_NUMBERS;
    }
    r.end();
    return d;
  }

  /** A detector of the state's kind, probation and range, before its bytes are read. */
  private static blank(st: Record<string, unknown>, name: string, probation: number | undefined): ArtimeDetector {
    const bounded = name === 'artime-bounded';
    const options = { trainingPoints: probation, maxCategories: bounded ? num(st, 'capacity') : undefined };
    const hint = st.hinted === true ? { inputMin: 0, inputMax: 1 } : undefined;
    const d = bounded ? ArtimeDetector.bounded(options, hint) : new ArtimeDetector(options, hint);
    d.range = ValueRange.fromState(st.range);
    if (d.range.fixed !== d.hinted) {
      throw new Error('Corrupt detector state: artime range does not match its hint flag');
    }
    return d;
  }

  /** Every completed window made one down-sampled value; before the probation is known, one sample at most. */
  private checkCounts(): void {
    const { i, dsi } = this;
    const counted = this.probation > 0 ? dsi === Math.floor(i / this.sstep) : dsi === 0 && i <= 1;
    if (!(Number.isInteger(i) && i >= 0 && counted)) {
      throw new Error('Corrupt detector state: artime sample counts');
    }
  }

  /**
   * A state saved by version 4 (a probation of samples, the down-sampler's window, the probation's
   * features when hinted): the same detector, bit for bit. Only NAB's hinted runs ever held
   * probation features (the product never gives a hint), which cannot be turned back into values.
   */
  private static fromV4(st: Record<string, unknown>, name: string): ArtimeDetector {
    const d = ArtimeDetector.blank(st, name, num(st, 'probation'));
    const r = new ByteReader(st.bytes, 'bytes');
    const sc = r.nums(5 + LEARNED_SCALARS);
    const ds = d.downsampler;
    [d.lastT, d.lastScore, d.i, d.dsi, ds.average] = sc.subarray(0, 5);
    d.checkCounts();
    // The window's samples so far are its first slots, in arrival order.
    r.f64(d.sstep)
      .subarray(0, d.i % d.sstep)
      .forEach((x) => ds.add(x));
    const raw = r.f64(r.u32(1)[0]);
    const medbin = r.nums(LEVELS + 1);
    const values = r.u8(WINDOW);
    const features = r.u32(1)[0];
    if (features > 0) {
      throw new Error(
        'Cannot restore an artime state of version 4 saved mid-probation with a range hint (NAB runs only)'
      );
    }
    const learned = d.dsi >= d.trendWindow;
    if (learned ? raw.length > 0 : raw.length !== d.dsi) {
      throw new Error('Corrupt detector state: artime probation values');
    }
    const sim = r.u16(Math.floor(d.trendWindow / 2) + 1);
    const simDiff = r.u16(d.trendWindow + 1);
    const categories = sc[sc.length - 1];
    checkCategories(categories, d.bound);
    const weights = readWeights(r, categories, d.bound);
    r.end();
    if (!learned) {
      d.pending.set(raw);
      return d;
    }
    d.pending = NO_NUMBERS;
    const l = newLearned(d.trendWindow, d.bound);
    restoreLearned(l, sc.subarray(5), medbin, values, sim, simDiff, weights);
    d.learned = l;
    return d;
  }
}
