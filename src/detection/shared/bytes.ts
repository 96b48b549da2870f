/**
 * A compact binary form for detector state: little-endian numbers written in order and carried in
 * JSON as one base64 string (a JSON array of doubles costs about 18 characters a number, base64 of
 * a Float64 about 11, of a byte 1.3). No Node or DOM API (the detection library runs in both), so
 * base64 is coded here.
 */

/**
 * `nums`: one tag byte per number. Below SMALL the tag is the number itself (small counts, flags,
 * zeros); otherwise it says how the number follows: a varint for larger safe integers (timestamps,
 * counts), 4 bytes when single precision holds it exactly, else 8. Every number reads back bit for bit.
 */
const SMALL = 0xf0;
const TAG_UINT = 0xf0;
const TAG_NEG_INT = 0xf1;
const TAG_F32 = 0xf2;
const TAG_F64 = 0xf3;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const INDEX = new Map([...ALPHABET].map((c, k) => [c, k]));
const CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const PAD = '='.charCodeAt(0);
/** Base64 is ASCII, which UTF-8 decodes as is (TextDecoder: in Node and in browsers). */
const ASCII = new TextDecoder();
/** Whether a Uint16Array keeps its low byte first (it follows the platform). */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
/**
 * The two characters of each 12 bits, as one 16-bit word laid out in memory first character first:
 * a 3-byte group is two look-ups and two stores instead of four of each.
 */
const PAIRS = Uint16Array.from({ length: 4096 }, (_, k) => {
  const [hi, lo] = [CODES[k >> 6], CODES[k & 63]];
  return LITTLE_ENDIAN ? hi | (lo << 8) : (hi << 8) | lo;
});
/** The most bytes a buffer kept for the next call (or writer) may hold: one odd large state keeps nothing. */
const KEPT_BYTES = 65_536;
/** Where `toBase64` lays out its characters before they become a string: kept from one call to the next. */
let characters = new Uint16Array(2048);

export function toBase64(bytes: Uint8Array): string {
  // Characters as bytes, decoded once: `out +=` per character built a chain of cons strings (32 B
  // each) that a stored state kept alive, ~50 kB per target until the checkpoint was written.
  const length = Math.ceil(bytes.length / 3) * 4;
  let out = characters;
  if (out.length < length / 2) {
    out = new Uint16Array(length / 2);
    if (2 * out.length <= KEPT_BYTES) {
      characters = out;
    }
  }
  const pairs = PAIRS;
  const whole = bytes.length - (bytes.length % 3);
  let o = 0;
  for (let k = 0; k < whole; k += 3, o += 2) {
    const n = (bytes[k] << 16) | (bytes[k + 1] << 8) | bytes[k + 2];
    out[o] = pairs[n >> 12];
    out[o + 1] = pairs[n & 4095];
  }
  const text = new Uint8Array(out.buffer, 0, length);
  if (whole < bytes.length) {
    const k = whole;
    const n = (bytes[k] << 16) | ((bytes[k + 1] ?? 0) << 8);
    const at = 2 * o;
    text[at] = CODES[(n >> 18) & 63];
    text[at + 1] = CODES[(n >> 12) & 63];
    text[at + 2] = k + 1 < bytes.length ? CODES[(n >> 6) & 63] : PAD;
    text[at + 3] = PAD;
  }
  return ASCII.decode(text);
}

/** Throws on anything that is not canonical padded base64. */
export function fromBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0) {
    throw new Error('Corrupt detector state: binary field is not base64 (length)');
  }
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  for (let k = 0, o = 0; k < text.length; k += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = text[k + j];
      const v = c === '=' && k + 4 === text.length && j >= 4 - pad ? 0 : INDEX.get(c);
      if (v === undefined) {
        throw new Error('Corrupt detector state: binary field is not base64');
      }
      n = (n << 6) | v;
    }
    for (let j = 0; j < 3 && o < out.length; j++) {
      out[o++] = (n >> (16 - 8 * j)) & 255;
    }
  }
  return out;
}

/** The most bytes one number takes in `nums`: a tag and a double. */
const MAX_NUM_BYTES = 9;
/** What a writer's buffer becomes once it has been read out (`toBase64`): writing after that is a mistake. */
const ENDED: Uint8Array<ArrayBuffer> = new Uint8Array(0);
/**
 * The buffer of the last writer read out, taken by the next one: a checkpoint writes thousands of
 * states, and each writer allocating (and regrowing) its own was a good share of building them.
 */
let spare: Uint8Array<ArrayBuffer> | null = null;

/** Appends numbers of fixed widths; `toBase64()` when done, which ends the writer. */
export class ByteWriter {
  private bytes: Uint8Array<ArrayBuffer>;
  private view: DataView;
  private at = 0;

  constructor() {
    this.bytes = spare ?? new Uint8Array(4096);
    spare = null;
    this.view = new DataView(this.bytes.buffer);
  }

  /** Makes room for `n` more bytes. */
  private room(n: number): void {
    if (this.at + n > this.bytes.length) {
      if (this.bytes === ENDED) {
        throw new Error('ByteWriter written after toBase64()');
      }
      const grown = new Uint8Array(Math.max(2 * this.bytes.length, this.at + n));
      grown.set(this.bytes.subarray(0, this.at));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
  }

  f64(xs: ArrayLike<number>): this {
    this.room(8 * xs.length);
    for (let k = 0; k < xs.length; k++, this.at += 8) {
      this.view.setFloat64(this.at, xs[k], true);
    }
    return this;
  }

  f32(xs: ArrayLike<number>): this {
    this.room(4 * xs.length);
    for (let k = 0; k < xs.length; k++, this.at += 4) {
      this.view.setFloat32(this.at, xs[k], true);
    }
    return this;
  }

  /** Unsigned integers below 2^32 (throws otherwise: a count must never wrap silently). */
  u32(xs: ArrayLike<number>): this {
    this.room(4 * xs.length);
    for (let k = 0; k < xs.length; k++, this.at += 4) {
      const x = xs[k];
      if (!(Number.isInteger(x) && x >= 0 && x < 2 ** 32)) {
        throw new Error(`Cannot encode ${x} as an unsigned 32-bit integer`);
      }
      this.view.setUint32(this.at, x, true);
    }
    return this;
  }

  /** Bytes (integers 0..255; throws otherwise). */
  u8(xs: ArrayLike<number>): this {
    this.room(xs.length);
    const bytes = this.bytes;
    if (xs instanceof Uint8Array) {
      // Each element is a byte already: copied at once.
      bytes.set(xs, this.at);
      this.at += xs.length;
      return this;
    }
    for (let k = 0; k < xs.length; k++, this.at++) {
      const x = xs[k];
      if (!(Number.isInteger(x) && x >= 0 && x < 256)) {
        throw new Error(`Cannot encode ${x} as a byte`);
      }
      bytes[this.at] = x;
    }
    return this;
  }

  /** Unsigned integers below 2^16 (throws otherwise). */
  u16(xs: ArrayLike<number>): this {
    this.room(2 * xs.length);
    if (xs instanceof Uint16Array && LITTLE_ENDIAN) {
      // In range by its type, and laid out in memory as written: copied at once.
      this.bytes.set(new Uint8Array(xs.buffer, xs.byteOffset, 2 * xs.length), this.at);
      this.at += 2 * xs.length;
      return this;
    }
    for (let k = 0; k < xs.length; k++, this.at += 2) {
      const x = xs[k];
      if (!(Number.isInteger(x) && x >= 0 && x < 65536)) {
        throw new Error(`Cannot encode ${x} as an unsigned 16-bit integer`);
      }
      this.view.setUint16(this.at, x, true);
    }
    return this;
  }

  /** Any numbers, each in as few bytes as keep it exact (see SMALL). */
  nums(xs: ArrayLike<number>): this {
    this.room(MAX_NUM_BYTES * xs.length);
    const bytes = this.bytes;
    const view = this.view;
    let at = this.at;
    for (let k = 0; k < xs.length; k++) {
      const x = xs[k];
      const integer = Number.isSafeInteger(x) && !Object.is(x, -0);
      if (integer && x >= 0 && x < SMALL) {
        bytes[at++] = x;
      } else if (integer) {
        bytes[at++] = x >= 0 ? TAG_UINT : TAG_NEG_INT;
        // LEB128: 7 bits a byte, low bits first; arithmetic, as it may exceed 2^32 (at most 8 bytes).
        let rest = Math.abs(x);
        while (rest >= 128) {
          bytes[at++] = (rest % 128) + 128;
          rest = Math.floor(rest / 128);
        }
        bytes[at++] = rest;
      } else if (Math.fround(x) === x || x !== x) {
        // NaN is exact in single precision too (the reader's float widens to NaN).
        bytes[at] = TAG_F32;
        view.setFloat32(at + 1, x, true);
        at += 5;
      } else {
        bytes[at] = TAG_F64;
        view.setFloat64(at + 1, x, true);
        at += 9;
      }
    }
    this.at = at;
    return this;
  }

  /** The bytes written, as base64; the writer's buffer goes to the next writer. */
  toBase64(): string {
    const text = toBase64(this.bytes.subarray(0, this.at));
    if (this.bytes !== ENDED && this.bytes.length <= KEPT_BYTES) {
      spare = this.bytes;
    }
    this.bytes = ENDED;
    this.at = 0;
    return text;
  }
}

/** Reads what ByteWriter wrote, in the same order; throws on a short or over-long field. */
export class ByteReader {
  private readonly view: DataView;
  private at = 0;

  constructor(
    text: unknown,
    private readonly field: string
  ) {
    if (typeof text !== 'string') {
      throw new Error(`Corrupt detector state: field "${field}" is not a base64 string`);
    }
    const bytes = fromBase64(text);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private take(n: number): number {
    if (this.at + n > this.view.byteLength) {
      throw new Error(`Corrupt detector state: field "${this.field}" is too short`);
    }
    const at = this.at;
    this.at += n;
    return at;
  }

  f64(n: number): Float64Array {
    const out = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      out[k] = this.view.getFloat64(this.take(8), true);
    }
    return out;
  }

  f32(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      out[k] = this.view.getFloat32(this.take(4), true);
    }
    return out;
  }

  u32(n: number): Float64Array {
    const out = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      out[k] = this.view.getUint32(this.take(4), true);
    }
    return out;
  }

  u8(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let k = 0; k < n; k++) {
      out[k] = this.view.getUint8(this.take(1));
    }
    return out;
  }

  u16(n: number): Uint16Array {
    const out = new Uint16Array(n);
    for (let k = 0; k < n; k++) {
      out[k] = this.view.getUint16(this.take(2), true);
    }
    return out;
  }

  /** What `ByteWriter.nums` wrote. */
  nums(n: number): Float64Array {
    const out = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const tag = this.view.getUint8(this.take(1));
      if (tag < SMALL) {
        out[k] = tag;
      } else if (tag === TAG_UINT || tag === TAG_NEG_INT) {
        const x = this.varint();
        out[k] = tag === TAG_UINT ? x : -x;
      } else if (tag === TAG_F32) {
        out[k] = this.view.getFloat32(this.take(4), true);
      } else if (tag === TAG_F64) {
        out[k] = this.view.getFloat64(this.take(8), true);
      } else {
        throw new Error(`Corrupt detector state: field "${this.field}" has an unknown number tag ${tag}`);
      }
    }
    return out;
  }

  private varint(): number {
    let x = 0;
    let scale = 1;
    for (;;) {
      const b = this.view.getUint8(this.take(1));
      x += (b % 128) * scale;
      if (b < 128) {
        break;
      }
      scale *= 128;
      if (scale > 2 ** 53) {
        throw new Error(`Corrupt detector state: field "${this.field}" has an over-long integer`);
      }
    }
    return x;
  }

  /** Every byte must have been read: a longer field is as corrupt as a shorter one. */
  end(): void {
    if (this.at !== this.view.byteLength) {
      throw new Error(`Corrupt detector state: field "${this.field}" is too long`);
    }
  }
}
