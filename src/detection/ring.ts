/** The last `capacity` numbers pushed: the oldest is dropped once it is full. */
export class Ring {
  private readonly slots: Float64Array;
  private start = 0;
  private length = 0;

  constructor(readonly capacity: number) {
    this.slots = new Float64Array(capacity);
  }

  push(value: number): void {
    if (this.length < this.capacity) {
      this.slots[this.length++] = value;
    } else {
      this.slots[this.start] = value;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** The values held, oldest first. */
  toArray(): number[] {
    return Array.from({ length: this.length }, (_, j) => this.slots[(this.start + j) % this.capacity]);
  }

  /** The values held, ascending, in the first `length` slots of `into` (which has at least `capacity`). */
  sortedInto(into: Float64Array): Float64Array {
    const view = into.subarray(0, this.length);
    view.set(this.slots.subarray(0, this.length));
    return view.sort();
  }
}
