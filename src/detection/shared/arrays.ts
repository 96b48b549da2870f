/**
 * What a typed array costs beyond its bytes: about 0.2 kB of heap (the typed array and its
 * ArrayBuffer) and, off the heap, 0.15-0.25 kB more for a native backing store and malloc's rounding
 * (Node 20, measured: RESULTS.md, issue 16, mem25). A fleet holds 100,000 targets of a dozen arrays each, so a holder's arrays
 * of fixed size are views on one region, regions are cut from slabs shared by many holders (a view
 * costs ~0.1 kB, a region nothing more), and holders with nothing to hold share NO_NUMBERS.
 */

/** One zero-length array of each kind for every holder with nothing to hold: nothing can be written into it. */
export const NO_NUMBERS = new Float64Array(0);
export const NO_BYTES = new Uint8Array(0);
export const NO_WORDS = new Uint16Array(0);

/** Where a holder's views go: a buffer and the offset of the holder's part (holders of one owner share one buffer). */
export interface Region {
  buffer: ArrayBuffer;
  offset: number;
}

/** Bytes rounded up to a multiple of 8, so the float64 views of a region that follows are aligned. */
export function aligned8(bytes: number): number {
  return Math.ceil(bytes / 8) * 8;
}

/** A buffer of its own, for a holder built alone or for a short time (a slab would keep its bytes as long as its neighbours). */
export function ownRegion(bytes: number): Region {
  return { buffer: new ArrayBuffer(bytes), offset: 0 };
}

/** Bytes of one slab: 32 KiB holds a dozen targets' largest regions (2-3 kB) and wastes little at its end. */
const SLAB_BYTES = 32 * 1024;
/** Regions larger than this get a buffer of their own: a slab would waste too much of its end on them. */
const LARGEST_CUT = SLAB_BYTES / 4;

/**
 * Zeroed regions cut in turn from 32 KiB buffers, never given back: a slab lives as long as any view
 * on it. Holders that live and die together (one retraining's detectors, a watch's targets' detail
 * rings) take from the same Slab, so their slabs are freed whole; a holder outliving its neighbours
 * keeps their bytes too, which is why detectors and rings take from different slabs.
 */
export class Slab {
  private buffer = new ArrayBuffer(0);
  private at = 0;

  /** A region of `bytes` (8-aligned), zeroed. */
  take(bytes: number): Region {
    const size = aligned8(bytes);
    if (size > LARGEST_CUT) {
      return ownRegion(size);
    }
    if (this.at + size > this.buffer.byteLength) {
      this.buffer = new ArrayBuffer(SLAB_BYTES);
      this.at = 0;
    }
    const region = { buffer: this.buffer, offset: this.at };
    this.at += size;
    return region;
  }
}

/** Where detectors keep their fixed-size arrays (a retraining replaces them all at once). */
const MODEL_SLAB = new Slab();

/** A region for a detector's fixed-size arrays that live as long as the detector (not for scratch: nothing is given back). */
export function modelRegion(bytes: number): Region {
  return MODEL_SLAB.take(bytes);
}

/**
 * Floats read and written as 16-bit words of a Uint16Array, for holders whose one view is 16-bit (a
 * second view would cost ~0.1 kB of heap in each of a fleet's targets): bit for bit what a
 * Float32Array or Float64Array would hold.
 */
const F32 = new Float32Array(1);
const F32_WORDS = new Uint16Array(F32.buffer);
const F64 = new Float64Array(1);
const F64_WORDS = new Uint16Array(F64.buffer);

export function putF32(words: Uint16Array, at: number, x: number): void {
  F32[0] = x;
  words[at] = F32_WORDS[0];
  words[at + 1] = F32_WORDS[1];
}

export function getF32(words: Uint16Array, at: number): number {
  F32_WORDS[0] = words[at];
  F32_WORDS[1] = words[at + 1];
  return F32[0];
}

const F32_BITS = new Uint32Array(F32.buffer);

/** The top 24 bits of x's float32, rounded to the nearest (ties to even). */
function top24(x: number): number {
  F32[0] = x;
  const bits = F32_BITS[0];
  const rounded = (bits + 0x7f + ((bits >>> 8) & 1)) >>> 8;
  // A finite value is not rounded up into the infinities (an exponent of all ones): it is cut instead.
  return (rounded & 0x7f8000) === 0x7f8000 && (bits & 0x7f800000) !== 0x7f800000 ? bits >>> 8 : rounded;
}

/**
 * Two floats in three 16-bit words, each as the top 24 bits of its float32 (sign, exponent and 15 of
 * the 23 mantissa bits, rounded to the nearest: within 2^-16 of it, 4-5 significant digits), for
 * display data a fleet keeps a lot of. Infinities and NaN stay what they are.
 */
export function putF24Pair(words: Uint16Array, at: number, a: number, b: number): void {
  const x = top24(a);
  const y = top24(b);
  words[at] = x >>> 8;
  words[at + 1] = ((x & 0xff) << 8) | (y >>> 16);
  words[at + 2] = y & 0xffff;
}

/** The first (which 0) or second (1) float of a pair putF24Pair kept at `at`. */
export function getF24(words: Uint16Array, at: number, which: 0 | 1): number {
  const top = which === 0 ? (words[at] << 8) | (words[at + 1] >>> 8) : ((words[at + 1] & 0xff) << 16) | words[at + 2];
  F32_BITS[0] = top << 8;
  return F32[0];
}

export function putF64(words: Uint16Array, at: number, x: number): void {
  F64[0] = x;
  words[at] = F64_WORDS[0];
  words[at + 1] = F64_WORDS[1];
  words[at + 2] = F64_WORDS[2];
  words[at + 3] = F64_WORDS[3];
}

export function getF64(words: Uint16Array, at: number): number {
  F64_WORDS[0] = words[at];
  F64_WORDS[1] = words[at + 1];
  F64_WORDS[2] = words[at + 2];
  F64_WORDS[3] = words[at + 3];
  return F64[0];
}
