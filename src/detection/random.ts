/**
 * Seedable pseudo-random source (mulberry32, Tommy Ettinger 2017): 32 bits of state, fast, and
 * good enough for sub-sampling and split choices; the state is a plain number so a fit can be
 * reproduced and a generator resumed.
 */
export class Random {
  private state: number;

  constructor(seed = 42) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  get seed(): number {
    return this.state;
  }
}
