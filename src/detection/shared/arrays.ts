/**
 * What a typed array costs beyond its bytes: about 0.2 kB of heap (the typed array and its
 * ArrayBuffer) and, off the heap, 0.35 kB more for a native backing store (Node 20, measured:
 * RESULTS.md, issue 16). A fleet holds 100,000 targets of a dozen arrays each, so a holder's arrays
 * of fixed size are views on one buffer of its own (a view costs ~0.1 kB), and holders with nothing
 * to hold share NO_NUMBERS.
 */

/** One zero-length array for every holder with nothing to hold: nothing can be written into it. */
export const NO_NUMBERS = new Float64Array(0);

/** Where a holder's views go: a buffer and the offset of the holder's part (holders of one owner share one buffer). */
export interface Region {
  buffer: ArrayBuffer;
  offset: number;
}

/** A buffer of its own, for a holder built alone. */
export function ownRegion(bytes: number): Region {
  return { buffer: new ArrayBuffer(bytes), offset: 0 };
}

/** Bytes rounded up to a multiple of 8, so the float64 views of a region that follows are aligned. */
export function aligned8(bytes: number): number {
  return Math.ceil(bytes / 8) * 8;
}
