/**
 * ARTime's down-sampling: each `step` samples become one value, their mean, or their extreme on the
 * side away from a moving average of the means when that spike is at least 10% of the mean.
 */
export class Downsampler {
  /** The last `step` samples, a ring (the value does not depend on their order). */
  readonly window: Float64Array;
  /** Moving average of the window means (NAB's ds_average). */
  average = 0;

  constructor(readonly step: number) {
    this.window = new Float64Array(step);
  }

  /** Keeps sample number `i` (from 0); true when it completes a window. */
  put(i: number, value: number): boolean {
    this.window[i % this.step] = value;
    return (i + 1) % this.step === 0;
  }

  /** One value for the last window; `first`: the first one, which starts the moving average. */
  take(first: boolean): number {
    const w = this.window;
    let sum = 0;
    let max = -Infinity;
    let min = Infinity;
    for (let k = 0; k < w.length; k++) {
      sum += w[k];
      max = Math.max(max, w[k]);
      min = Math.min(min, w[k]);
    }
    const mean = sum / w.length;
    if (first) {
      this.average = mean;
    }
    this.average = (this.average + mean) / 2;
    let ds = Math.abs(max - this.average) < Math.abs(min - this.average) ? min : max;
    if (Math.abs(ds - mean) < 0.1 * mean) {
      ds = mean;
    }
    return ds;
  }
}
