import { haar, minMaxScaled, roundHalfEven } from './windowMath';

/** Samples per feature window (after down-sampling). */
export const WINDOW = 8;
/** Quantisation levels of the normalised value. */
export const LEVELS = 80;
/** Features: the window's Haar wavelet coefficients and the window itself (complement coded by the ART). */
export const DIM = 2 * WINDOW;
/** A level closer than this to the running median is snapped to it. */
const CHOMP = 0.075;

/** Levels of the median histogram: 0 to LEVELS. */
const BINS = LEVELS + 1;
/** Where the window's levels begin in its words, after the histogram's two words a count. */
const WINDOW_AT = 2 * BINS;
/** 16-bit words a feature window keeps. */
export const FEATURE_WINDOW_WORDS = WINDOW_AT + WINDOW;

/** Scratch for one window's arithmetic, shared by every window (single-threaded; used within one call). */
const scratchValues = new Float64Array(WINDOW);
const scratchA = new Float64Array(WINDOW);
const scratchB = new Float64Array(WINDOW);

/**
 * ARTime's feature windows: each normalised down-sampled value is quantised to LEVELS levels,
 * snapped to the running median level when within CHOMP, and the last WINDOW values give the
 * features: their full Haar wavelet transform and the values themselves, min-max scaled.
 */
export class FeatureWindow {
  /** The running median level, with the counts below and above it. */
  medlevel = 0;
  belowmed = 0;
  abovemed = 0;

  /**
   * `words` from `at` (FEATURE_WINDOW_WORDS of them; default words of its own): values seen per level,
   * each count in two words, low first (32 bits hold 4e9 down-sampled values), then from WINDOW_AT the
   * last WINDOW levels, oldest first. Its owner's words, not a view of its own (a view is ~0.1 kB of
   * heap in each of a fleet's 100,000 detectors). A window value is always a level / LEVELS, so its
   * level says it exactly.
   */
  constructor(
    private readonly words: Uint16Array = new Uint16Array(FEATURE_WINDOW_WORDS),
    private readonly at = 0
  ) {}

  /** Values seen per level (a copy made for the caller). */
  get medbin(): Uint32Array {
    const bins = new Uint32Array(BINS);
    for (let level = 0; level < BINS; level++) {
      bins[level] = this.count(level);
    }
    return bins;
  }

  /** The last WINDOW values' levels, oldest first (a view made for the caller). */
  get levels(): Uint16Array {
    return this.words.subarray(this.at + WINDOW_AT, this.at + WINDOW_AT + WINDOW);
  }

  /** Sets the histogram and the window from a stored state (counts below 2^32, levels at most LEVELS). */
  restore(medbin: ArrayLike<number>, levels: ArrayLike<number>): void {
    for (let level = 0; level < BINS; level++) {
      this.setCount(level, medbin[level]);
    }
    this.levels.set(levels);
  }

  private count(level: number): number {
    const at = this.at + 2 * level;
    return this.words[at] + this.words[at + 1] * 0x10000;
  }

  private setCount(level: number, n: number): void {
    const at = this.at + 2 * level;
    this.words[at] = n & 0xffff;
    this.words[at + 1] = n >>> 16;
  }

  /** Takes the `dsi`-th value (from 1), normalised to [0, 1] by the range; writes the window's features into f. */
  features(normalised: number, dsi: number, f: Float64Array): Float64Array {
    const level = Math.min(LEVELS, Math.max(0, roundHalfEven(normalised * LEVELS)));
    const medlevel = this.median(level, dsi);
    const words = this.words;
    const window = this.at + WINDOW_AT;
    words.copyWithin(window, window + 1, window + WINDOW);
    words[window + WINDOW - 1] = Math.abs(level / LEVELS - medlevel / LEVELS) < CHOMP ? medlevel : level;
    f.fill(0);
    if (dsi >= WINDOW) {
      const fw = scratchValues;
      for (let k = 0; k < WINDOW; k++) {
        fw[k] = words[window + k] / LEVELS;
      }
      const dw = minMaxScaled(fw, scratchA);
      const wav = minMaxScaled(haar(dw, scratchB), scratchB);
      f.set(wav, 0);
      f.set(fw, WINDOW);
    }
    return f;
  }

  /**
   * Re-expresses the window and the median histogram in a new scale x' = a x + b (0 < a <= 1): each
   * level moves to its nearest level in the new scale (levels that meet are counted together), and
   * the counts below and above the median follow from the histogram.
   */
  rescale(a: number, b: number): void {
    const to = (level: number): number => Math.min(LEVELS, Math.max(0, roundHalfEven(a * level + b * LEVELS)));
    const old = this.medbin;
    const moved = new Array<number>(BINS).fill(0);
    old.forEach((count, level) => {
      moved[to(level)] += count;
    });
    this.medlevel = to(this.medlevel);
    this.belowmed = 0;
    this.abovemed = 0;
    moved.forEach((count, level) => {
      this.setCount(level, count);
      if (level < this.medlevel) {
        this.belowmed += this.count(level);
      } else if (level > this.medlevel) {
        this.abovemed += this.count(level);
      }
    });
    const levels = this.levels;
    levels.forEach((level, k) => {
      levels[k] = to(level);
    });
  }

  /** The median level after counting `level`; not strictly a running median (as published): one level per value at most. */
  private median(level: number, dsi: number): number {
    // The median never walks past a level with a count (there is one on the side it walks to).
    this.setCount(level, this.count(level) + 1);
    const medpos = Math.floor(dsi / 2);
    if (dsi === 1) {
      this.medlevel = level;
    }
    if (this.medlevel > level) {
      this.belowmed++;
    } else if (this.medlevel < level) {
      this.abovemed++;
    }
    if (medpos < this.abovemed) {
      this.belowmed += this.count(this.medlevel);
      this.medlevel++;
      while (this.count(this.medlevel) === 0) {
        this.medlevel++;
      }
      this.abovemed -= this.count(this.medlevel);
    } else if (medpos < this.belowmed) {
      this.abovemed += this.count(this.medlevel);
      this.medlevel--;
      while (this.count(this.medlevel) === 0) {
        this.medlevel--;
      }
      this.belowmed -= this.count(this.medlevel);
    }
    return this.medlevel;
  }
}
