import { ownRegion, type Region } from '../shared/arrays';
import { haar, minMaxScaled, roundHalfEven } from './windowMath';

/** Samples per feature window (after down-sampling). */
export const WINDOW = 8;
/** Quantisation levels of the normalised value. */
export const LEVELS = 80;
/** Features: the window's Haar wavelet coefficients and the window itself (complement coded by the ART). */
export const DIM = 2 * WINDOW;
/** A level closer than this to the running median is snapped to it. */
const CHOMP = 0.075;

/** Where the window's levels begin in `counts`, after the histogram's. */
const WINDOW_AT = LEVELS + 1;
/** Bytes of a feature window's array. */
export const FEATURE_WINDOW_BYTES = 4 * (WINDOW_AT + WINDOW);

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
  /**
   * Values seen per level (32 bits hold 4e9 down-sampled values), then from WINDOW_AT the last WINDOW
   * levels, oldest first: one view (a view is ~0.1 kB of heap in each of a fleet's 100,000 detectors).
   * A window value is always a level / LEVELS, so its level says it exactly.
   */
  private readonly counts: Uint32Array;
  /** The running median level, with the counts below and above it. */
  medlevel = 0;
  belowmed = 0;
  abovemed = 0;

  /** `region`: where its array goes, as a view (8-aligned, FEATURE_WINDOW_BYTES long; default a buffer of its own). */
  constructor({ buffer, offset }: Region = ownRegion(FEATURE_WINDOW_BYTES)) {
    this.counts = new Uint32Array(buffer, offset, WINDOW_AT + WINDOW);
  }

  /** Values seen per level (a view made for the caller). */
  get medbin(): Uint32Array {
    return this.counts.subarray(0, WINDOW_AT);
  }

  /** The last WINDOW values' levels, oldest first (a view made for the caller). */
  get levels(): Uint32Array {
    return this.counts.subarray(WINDOW_AT);
  }

  /** Takes the `dsi`-th value (from 1), normalised to [0, 1] by the range; writes the window's features into f. */
  features(normalised: number, dsi: number, f: Float64Array): Float64Array {
    const level = Math.min(LEVELS, Math.max(0, roundHalfEven(normalised * LEVELS)));
    const medlevel = this.median(level, dsi);
    const counts = this.counts;
    counts.copyWithin(WINDOW_AT, WINDOW_AT + 1);
    counts[WINDOW_AT + WINDOW - 1] = Math.abs(level / LEVELS - medlevel / LEVELS) < CHOMP ? medlevel : level;
    f.fill(0);
    if (dsi >= WINDOW) {
      const fw = scratchValues;
      for (let k = 0; k < WINDOW; k++) {
        fw[k] = counts[WINDOW_AT + k] / LEVELS;
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
    const counts = this.counts;
    const old = counts.slice(0, WINDOW_AT);
    counts.fill(0, 0, WINDOW_AT);
    old.forEach((count, level) => {
      counts[to(level)] += count;
    });
    this.medlevel = to(this.medlevel);
    this.belowmed = 0;
    this.abovemed = 0;
    for (let level = 0; level < WINDOW_AT; level++) {
      if (level < this.medlevel) {
        this.belowmed += counts[level];
      } else if (level > this.medlevel) {
        this.abovemed += counts[level];
      }
    }
    for (let k = WINDOW_AT; k < WINDOW_AT + WINDOW; k++) {
      counts[k] = to(counts[k]);
    }
  }

  /** The median level after counting `level`; not strictly a running median (as published): one level per value at most. */
  private median(level: number, dsi: number): number {
    // The histogram's part of counts: the median never walks past a level with a count (there is one on the side it walks to).
    const bin = this.counts;
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
    return this.medlevel;
  }
}
