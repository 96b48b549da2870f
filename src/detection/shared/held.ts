/**
 * The typed arrays a streaming state holds for as long as it lives (a detector's scalars and
 * profile, a forecaster's rings, a target's recent steps), cut from shared slabs instead of one
 * ArrayBuffer each. A separate small buffer costs ~370 B besides its data (its ArrayBuffer object,
 * V8's backing-store record, malloc's header): ~1.4 kB a target at 4-7 arrays, 140 MiB at 100,000
 * targets (issue 16), and its block sat in malloc's heap between the short-lived blocks of a
 * replay, so memory the replay freed could not be given back.
 *
 * A slab holds blocks of one size. The block of an array that was collected is taken again (a
 * FinalizationRegistry says which), zeroed, as a new array is. So an array from here must be the
 * only thing that keeps its block: no long-lived `subarray` of it may outlive it.
 */

/** Bytes of one slab: large enough that its own overhead is nothing, small enough to waste little on a few targets. */
const SLAB_BYTES = 64 * 1024;

/** Larger arrays get a buffer of their own: beside their data their overhead is small. */
const MAX_BLOCK_BYTES = 8 * 1024;

/** Blocks of one size (a multiple of 8 bytes, so every element type is aligned). */
class BlockPool {
  private readonly slabs: ArrayBuffer[] = [];
  /** Blocks whose array was collected, to be taken again. */
  private readonly free: number[] = [];
  private used = 0;
  private readonly perSlab: number;
  private readonly collected = new FinalizationRegistry<number>((block) => this.free.push(block));

  constructor(private readonly blockBytes: number) {
    this.perSlab = Math.floor(SLAB_BYTES / blockBytes);
  }

  /** A zeroed block for an array made by `view`, which is registered to give it back when collected. */
  take<T extends object>(view: (buffer: ArrayBuffer, byteOffset: number) => T, zero: (array: T) => void): T {
    const reused = this.free.pop();
    const block = reused ?? this.used++;
    const slab = Math.floor(block / this.perSlab);
    if (slab === this.slabs.length) {
      this.slabs.push(new ArrayBuffer(this.perSlab * this.blockBytes));
    }
    const array = view(this.slabs[slab], (block % this.perSlab) * this.blockBytes);
    if (reused !== undefined) {
      zero(array);
    }
    this.collected.register(array, block);
    return array;
  }
}

const pools = new Map<number, BlockPool>();

function pool(bytes: number): BlockPool {
  const size = Math.ceil(bytes / 8) * 8;
  let p = pools.get(size);
  if (!p) {
    p = new BlockPool(size);
    pools.set(size, p);
  }
  return p;
}

const small = (bytes: number): boolean => bytes > 0 && bytes <= MAX_BLOCK_BYTES;

/** A zeroed Float64Array of n elements that a long-lived state holds. */
export function heldFloat64(n: number): Float64Array<ArrayBuffer> {
  return small(8 * n) ? pool(8 * n).take((b, at) => new Float64Array(b, at, n), zeroed) : new Float64Array(n);
}

/** A zeroed Float32Array of n elements that a long-lived state holds. */
export function heldFloat32(n: number): Float32Array<ArrayBuffer> {
  return small(4 * n) ? pool(4 * n).take((b, at) => new Float32Array(b, at, n), zeroed) : new Float32Array(n);
}

/** A zeroed Uint32Array of n elements that a long-lived state holds. */
export function heldUint32(n: number): Uint32Array<ArrayBuffer> {
  return small(4 * n) ? pool(4 * n).take((b, at) => new Uint32Array(b, at, n), zeroed) : new Uint32Array(n);
}

/** A zeroed Uint16Array of n elements that a long-lived state holds. */
export function heldUint16(n: number): Uint16Array<ArrayBuffer> {
  return small(2 * n) ? pool(2 * n).take((b, at) => new Uint16Array(b, at, n), zeroed) : new Uint16Array(n);
}

/** A zeroed Uint8Array of n elements that a long-lived state holds. */
export function heldUint8(n: number): Uint8Array<ArrayBuffer> {
  return small(n) ? pool(n).take((b, at) => new Uint8Array(b, at, n), zeroed) : new Uint8Array(n);
}

function zeroed(array: { fill(value: number): unknown }): void {
  array.fill(0);
}
