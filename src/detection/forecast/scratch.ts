/**
 * Numbers a forecaster's step writes and reads again within the same step, kept in one array per
 * use for all forecasters (single-threaded; each use's numbers are dead once the next forecaster is
 * read): a step then allocates no array, and a fleet of thousands keeps garbage collection idle.
 */
export class Scratch {
  private buffer: Float64Array = new Float64Array(64);
  private shown: Float64Array = this.buffer.subarray(0, 0);

  /** The whole array, at least `n` long, its contents kept. */
  room(n: number): Float64Array {
    if (n > this.buffer.length) {
      const grown = new Float64Array(Math.max(n, 2 * this.buffer.length));
      grown.set(this.buffer);
      this.buffer = grown;
      this.shown = grown.subarray(0, this.shown.length);
    }
    return this.buffer;
  }

  /** The first `n` numbers as a view, the same object while `n` is (a fleet's histories are mostly of one length). */
  view(n: number): Float64Array {
    if (this.shown.length !== n) {
      this.shown = this.room(n).subarray(0, n);
    }
    return this.shown;
  }
}
