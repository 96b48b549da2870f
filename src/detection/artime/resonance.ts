import { DIM, WINDOW } from './featureWindow';
import * as arrays from '../shared/arrays';
import type { Region } from '../shared/arrays';
import type { ArtBound } from './artBound';
import { FuzzyArt } from './fuzzyArt';
import { cosineLike, shift } from './windowMath';

/** Bound once: run by tsx (CommonJS), each call of an imported function is first a getter call of esbuild's interop. */
const { getF64, putF64 } = arrays;

const INITIAL_RHO = 0.8;
/** Down-sampled steps after an anomaly during which new categories are masked. */
export const MASK = Math.floor(WINDOW * 1.5);
/** How many numbers `scalars()` gives and `restoreScalars` takes. */
export const RESONANCE_SCALARS = 12;
/**
 * Recent matches (and their distances below the upper vigilance) are kept in 16 bits: they only set
 * the lower vigilance (a minimum, a mean over distances above 0.05), where 1.5e-5 changes nothing
 * measurable (dev files: RESULTS.md, issue 12), and they are a third of the bounded state.
 */
const UNIT = 65535;
const unit = (x: number): number => Math.round(Math.min(1, Math.max(0, x)) * UNIT);

/**
 * 16-bit words the resonance keeps in its ART's: four float64 (as fields, a boxed number each in every
 * detector), then the windows: the recent matches (half the trend window, and one), then as many
 * distances as the trend window and one.
 */
function ownerWords(trendWindow: number): number {
  return WINDOWS_AT + Math.floor(trendWindow / 2) + 1 + trendWindow + 1;
}

/**
 * Where each float64 is in its words, from `at` (4 words each): the last anomaly's match; the sum of
 * the anomalies' matches, each lowered to the lowest match within MASK steps after it, and the last
 * one as it went in; the sum of every match (the upper vigilance follows their mean).
 */
const LAST_ANOMALY_SIM = 0;
const HISTORY_SUM = 4;
const HISTORY_LAST = 8;
const RHO_UB_SUM = 12;
const WINDOWS_AT = 16;

/**
 * ARTime's resonance core (NAB's detect!): each window's features go to a dual-vigilance fuzzy ART;
 * a new cluster after the probation is the candidate anomaly, masked for a while after an anomaly or
 * a new category, and the vigilances follow the recent matches. See ArtimeDetector for the rules.
 */
export class Resonance {
  readonly art: FuzzyArt;
  /**
   * Where its words begin in its ART's, after its owner's (a view of its own is ~0.1 kB of heap in each
   * of a fleet's 100,000 detectors): the float64 scalars, then from WINDOWS_AT the recent matches, then
   * their distances below the upper vigilance (0 if above), in 1 / UNIT, to the end of the words.
   */
  private readonly at: number;
  /** Matches the window keeps: the distances follow them. */
  private readonly sims: number;
  private lastAnomalyI = 0;
  private lastRhoUpdateI = 0;
  private maskAfterCat = false;
  private noNewCatCount = 0;
  private historyCount = 0;
  private rhoUbCount = 0;

  /** Bytes of its ART's tables, its owner's words and its own. */
  static bytes(trendWindow: number, bound: ArtBound, before = 0): number {
    return FuzzyArt.bytes(DIM, bound, before + ownerWords(trendWindow));
  }

  /**
   * `trendWindow`: down-sampled values in the probation. `region`: where its ART's tables and the words
   * go, as views (8-aligned, Resonance.bytes long; default a buffer of its own). `before`: words its
   * owner keeps in the ART's words ahead of the resonance's (from `art.wordsAt`).
   */
  constructor(
    private readonly trendWindow: number,
    bound: ArtBound,
    region?: Region,
    before = 0
  ) {
    this.art = new FuzzyArt(DIM, bound, region, before + ownerWords(trendWindow));
    this.at = this.art.wordsAt + before;
    this.sims = Math.floor(trendWindow / 2) + 1;
    const windows = this.at + WINDOWS_AT;
    this.art.words.fill(UNIT, windows, windows + this.sims);
  }

  /** Recent matches, in 1 / UNIT (a view made for the caller). */
  get simWindow(): Uint16Array {
    const windows = this.at + WINDOWS_AT;
    return this.art.words.subarray(windows, windows + this.sims);
  }

  /** Recent distances below the upper vigilance (0 if above), in 1 / UNIT (a view made for the caller). */
  get simDiffWindow(): Uint16Array {
    return this.art.words.subarray(this.at + WINDOWS_AT + this.sims);
  }

  /** One of its float64 words (LAST_ANOMALY_SIM, HISTORY_SUM, HISTORY_LAST, RHO_UB_SUM). */
  private f64(at: number): number {
    return getF64(this.art.words, this.at + at);
  }

  private setF64(at: number, x: number): void {
    putF64(this.art.words, this.at + at, x);
  }

  /** The probation in one batch: initial vigilance, then every window learned in order. */
  learnProbation(features: Float64Array[]): void {
    const rho = this.initialRho(features.slice(WINDOW - 1));
    this.art.rhoLb = rho;
    this.art.rhoUb = rho;
    features.forEach((f, k) => this.detect(f, k + 1));
  }

  /** Classifies the `i`-th window (from 1), scores a masked-or-not new cluster, adapts the vigilances. */
  detect(f: Float64Array, i: number): number {
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
    this.setF64(RHO_UB_SUM, this.f64(RHO_UB_SUM) + match);
    this.rhoUbCount++;
    const windows = this.at + WINDOWS_AT;
    const words = art.words;
    shift(words, windows, windows + this.sims, unit(match));
    shift(words, windows + this.sims, words.length, unit(art.rhoUb - match));
    if (sinceAnomaly < MASK && this.historyCount > 0 && match < this.f64(HISTORY_LAST)) {
      this.setF64(HISTORY_SUM, this.f64(HISTORY_SUM) + (match - this.f64(HISTORY_LAST)));
      this.setF64(HISTORY_LAST, match);
    }
    const masking = this.maskAfterCat || maskAfterAnomaly;
    const belowLast = match < this.f64(LAST_ANOMALY_SIM) * (maskAfterAnomaly ? 0.9 : 0.7);
    let anomaly = 0;
    if (i > this.trendWindow && cat === -1 && (!masking || belowLast)) {
      anomaly = this.confidence(match, energy);
      this.setF64(HISTORY_SUM, this.f64(HISTORY_SUM) + match);
      this.historyCount++;
      this.setF64(HISTORY_LAST, match);
      this.setF64(LAST_ANOMALY_SIM, match);
      this.lastAnomalyI = i;
    }
    this.maskAfterCat = cat === -1 || this.maskAfterCat;
    if (i > this.trendWindow && (updateAfterAnomaly || updateForTrend)) {
      this.updateRho(i);
    }
    return anomaly;
  }

  /** The vigilances, counters and sums of the state, in the order `restoreScalars` reads them. */
  scalars(): number[] {
    return [
      this.art.rhoLb,
      this.art.rhoUb,
      this.lastAnomalyI,
      this.f64(LAST_ANOMALY_SIM),
      this.lastRhoUpdateI,
      this.maskAfterCat ? 1 : 0,
      this.noNewCatCount,
      this.historyCount,
      this.f64(HISTORY_SUM),
      this.f64(HISTORY_LAST),
      this.f64(RHO_UB_SUM),
      this.rhoUbCount,
    ];
  }

  restoreScalars(sc: ArrayLike<number>): void {
    const a = this.art;
    [a.rhoLb, a.rhoUb, this.lastAnomalyI] = [sc[0], sc[1], sc[2]];
    this.setF64(LAST_ANOMALY_SIM, sc[3]);
    this.lastRhoUpdateI = sc[4];
    this.maskAfterCat = sc[5] === 1;
    [this.noNewCatCount, this.historyCount] = [sc[6], sc[7]];
    this.setF64(HISTORY_SUM, sc[8]);
    this.setF64(HISTORY_LAST, sc[9]);
    this.setF64(RHO_UB_SUM, sc[10]);
    this.rhoUbCount = sc[11];
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

  private updateRho(i: number): void {
    let minSim = Infinity;
    for (const m of this.simWindow) {
      minSim = Math.min(minSim, m / UNIT);
    }
    const ub = Math.min(0.97, this.f64(RHO_UB_SUM) / this.rhoUbCount);
    const art = this.art;
    let lb: number;
    if (art.rhoLb <= minSim) {
      lb = art.rhoLb + (minSim - art.rhoLb) * 0.19;
    } else {
      let decr = 0;
      if (i > this.trendWindow * 2) {
        let sum = 0;
        let count = 0;
        for (const q of this.simDiffWindow) {
          const d = q / UNIT;
          if (d > 0.05) {
            sum += Math.min(0.37, d);
            count++;
          }
        }
        decr = count > 0 ? sum / count : 0;
      }
      lb = art.rhoLb - Math.max(0.01, decr) / 2;
      if (this.historyCount > 0) {
        lb = Math.max(this.f64(HISTORY_SUM) / this.historyCount, lb);
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
}
