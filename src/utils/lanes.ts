/**
 * Runs work at most `width` at a time: `width` lanes taken in turn, each running its work one after
 * another. A failure stays with its caller and does not hold up its lane.
 */
export class Lanes {
  private readonly tails: Array<Promise<unknown>>;
  private next = 0;

  constructor(width: number) {
    this.tails = Array.from({ length: width }, () => Promise.resolve());
  }

  run<T>(work: () => Promise<T>): Promise<T> {
    const lane = this.next;
    this.next = (lane + 1) % this.tails.length;
    const done = this.tails[lane].then(work);
    this.tails[lane] = done.catch(() => undefined);
    return done;
  }
}
