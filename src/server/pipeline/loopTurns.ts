/**
 * How long scoring or retraining may hold the event loop before giving it a turn. The pipeline shares the
 * HTTP server's thread: a fleet's probation end costs ~2 ms a target (200 s at 100,000 in one step),
 * which held `/healthz` and the API for as long and would have a liveness probe restart the pod into
 * the same replay.
 */
export const SLICE_MS = 50;

/** Items (targets, series) a long loop runs between looks at the clock: a look costs ~50 ns, an item several µs. */
export const ITEMS_A_LOOK = 64;

/** Turns of the event loop taken in a long synchronous run, one each time a slice of `elapsed` time is spent. */
export class LoopTurns {
  private sliceStart: number;

  constructor(
    private readonly elapsed: () => number,
    private readonly sliceMs = SLICE_MS
  ) {
    this.sliceStart = elapsed();
  }

  /** Whether the slice is spent. */
  get due(): boolean {
    return this.elapsed() - this.sliceStart >= this.sliceMs;
  }

  /** Lets what waits run (setImmediate comes after the loop's I/O: requests are answered), then starts a new slice. */
  async give(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = this.elapsed();
  }
}
