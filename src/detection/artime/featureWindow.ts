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

/** Bytes of a feature window's arrays. */
export const FEATURE_WINDOW_BYTES = 8 * WINDOW + 4 * (LEVELS + 1);

/** Scratch for one window's arithmetic, shared by every window (single-threaded; used within one call). */
const scratchA = new Float64Array(WINDOW);
const scratchB = new Float64Array(WINDOW);

/**
 * ARTime's feature windows: each normalised down-sampled value is quantised to LEVELS levels,
 * snapped to the running median level when within CHOMP, and the last WINDOW values give the
 * features: their full Haar wavelet transform and the values themselves, min-max scaled.
 */
export class FeatureWindow {
  /** Values seen per level (counts: 32 bits hold 4e9 down-sampled values), and the running median level with the counts below and above it. */
  readonly medbin: Uint32Array;
  medlevel = 0;
  belowmed = 0;
  abovemed = 0;
  /** The last WINDOW levels / LEVELS, oldest first. */
  readonly values: Float64Array;

  /** `region`: where its arrays go, as views (8-aligned, FEATURE_WINDOW_BYTES long; default a buffer of its own). */
  constructor({ buffer, offset }: Region = ownRegion(FEATURE_WINDOW_BYTES)) {
    this.values = new Float64Array(buffer, offset, WINDOW);
    this.medbin = new Uint32Array(buffer, offset + 8 * WINDOW, LEVELS + 1);
  }

  /** Takes the `dsi`-th value (from 1), normalised to [0, 1] by the range; writes the window's features into f. */
  features(normalised: number, dsi: number, f: Float64Array): Float64Array {
    const level = Math.min(LEVELS, Math.max(0, roundHalfEven(normalised * LEVELS)));
    let ds = level / LEVELS;
    const med = this.median(level, dsi) / LEVELS;
    if (Math.abs(ds - med) < CHOMP) {
      ds = med;
    }
    const fw = this.values;
    fw.copyWithin(0, 1);
    fw[WINDOW - 1] = ds;
    f.fill(0);
    if (dsi >= WINDOW) {
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
    const bin = this.medbin;
    const old = Uint32Array.from(bin);
    bin.fill(0);
    old.forEach((count, level) => {
      bin[to(level)] += count;
    });
    this.medlevel = to(this.medlevel);
    this.belowmed = 0;
    this.abovemed = 0;
    bin.forEach((count, level) => {
      if (level < this.medlevel) {
        this.belowmed += count;
      } else if (level > this.medlevel) {
        this.abovemed += count;
      }
    });
    const fw = this.values;
    for (let k = 0; k < WINDOW; k++) {
      fw[k] = to(Math.round(fw[k] * LEVELS)) / LEVELS;
    }
  }

  /** The median level after counting `level`; not strictly a running median (as published): one level per value at most. */
  private median(level: number, dsi: number): number {
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
