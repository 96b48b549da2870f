/**
 * ARTime's down-sampling: each `step` samples become one value, their mean, or their extreme on the
 * side away from a moving average of the means when that spike is at least 10% of the mean.
 *
 * Streaming: only the window's running sum, minimum and maximum are kept (the value does not depend
 * on the samples' order, and the sum is taken in arrival order as a ring of `step` samples summed
 * it), so the state is a few numbers whatever the step, and the step may be set after the first sample.
 */
export class Downsampler {
  /** Sum, minimum and maximum of the samples since the last value. */
  sum = 0;
  min = Infinity;
  max = -Infinity;
  /** Moving average of the window means (NAB's ds_average). */
  average = 0;

  add(value: number): void {
    this.sum += value;
    this.min = Math.min(this.min, value);
    this.max = Math.max(this.max, value);
  }

  /** One value for the last `count` samples; `first`: the first one, which starts the moving average. */
  take(count: number, first: boolean): number {
    const mean = this.sum / count;
    const { min, max } = this;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
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
