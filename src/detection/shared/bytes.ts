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

export function toBase64(bytes: Uint8Array): string {
  // Characters as bytes, decoded once: `out +=` per character built a chain of cons strings (32 B
  // each) that a stored state kept alive, ~50 kB per target until the checkpoint was written.
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  for (let k = 0, o = 0; k < bytes.length; k += 3, o += 4) {
    const n = (bytes[k] << 16) | ((bytes[k + 1] ?? 0) << 8) | (bytes[k + 2] ?? 0);
    out[o] = CODES[(n >> 18) & 63];
    out[o + 1] = CODES[(n >> 12) & 63];
    out[o + 2] = k + 1 < bytes.length ? CODES[(n >> 6) & 63] : PAD;
    out[o + 3] = k + 2 < bytes.length ? CODES[n & 63] : PAD;
  }
  return ASCII.decode(out);
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

/** Appends numbers of fixed widths; `toBase64()` when done. */
export class ByteWriter {
  private buf = new DataView(new ArrayBuffer(256));
  private at = 0;

  private room(n: number): DataView {
    if (this.at + n > this.buf.byteLength) {
      const grown = new Uint8Array(Math.max(2 * this.buf.byteLength, this.at + n));
      grown.set(new Uint8Array(this.buf.buffer, 0, this.at));
      this.buf = new DataView(grown.buffer);
    }
    return this.buf;
  }

  f64(xs: ArrayLike<number>): this {
    const v = this.room(8 * xs.length);
    for (let k = 0; k < xs.length; k++, this.at += 8) {
      v.setFloat64(this.at, xs[k], true);
    }
    return this;
  }

  f32(xs: ArrayLike<number>): this {
    const v = this.room(4 * xs.length);
    for (let k = 0; k < xs.length; k++, this.at += 4) {
      v.setFloat32(this.at, xs[k], true);
    }
    return this;
  }

  /** Unsigned integers below 2^32 (throws otherwise: a count must never wrap silently). */
  u32(xs: ArrayLike<number>): this {
    const v = this.room(4 * xs.length);
    for (let k = 0; k < xs.length; k++, this.at += 4) {
      const x = xs[k];
      if (!(Number.isInteger(x) && x >= 0 && x < 2 ** 32)) {
        throw new Error(`Cannot encode ${x} as an unsigned 32-bit integer`);
      }
      v.setUint32(this.at, x, true);
    }
    return this;
  }

  /** Bytes (integers 0..255; throws otherwise). */
  u8(xs: ArrayLike<number>): this {
    const v = this.room(xs.length);
    for (let k = 0; k < xs.length; k++, this.at++) {
      const x = xs[k];
      if (!(Number.isInteger(x) && x >= 0 && x < 256)) {
        throw new Error(`Cannot encode ${x} as a byte`);
      }
      v.setUint8(this.at, x);
    }
    return this;
  }

  /** Unsigned integers below 2^16 (throws otherwise). */
  u16(xs: ArrayLike<number>): this {
    const v = this.room(2 * xs.length);
    for (let k = 0; k < xs.length; k++, this.at += 2) {
      const x = xs[k];
      if (!(Number.isInteger(x) && x >= 0 && x < 65536)) {
        throw new Error(`Cannot encode ${x} as an unsigned 16-bit integer`);
      }
      v.setUint16(this.at, x, true);
    }
    return this;
  }

  /** Any numbers, each in as few bytes as keep it exact (see SMALL). */
  nums(xs: ArrayLike<number>): this {
    for (let k = 0; k < xs.length; k++) {
      const x = xs[k];
      const integer = Number.isSafeInteger(x) && !Object.is(x, -0);
      if (integer && x >= 0 && x < SMALL) {
        this.room(1).setUint8(this.at++, x);
      } else if (integer) {
        this.room(1).setUint8(this.at++, x >= 0 ? TAG_UINT : TAG_NEG_INT);
        this.varint(Math.abs(x));
      } else if (Object.is(Math.fround(x), x)) {
        this.room(5).setUint8(this.at++, TAG_F32);
        this.f32([x]);
      } else {
        this.room(9).setUint8(this.at++, TAG_F64);
        this.f64([x]);
      }
    }
    return this;
  }

  /** A safe non-negative integer, 7 bits a byte, low bits first (LEB128; arithmetic, as it may exceed 2^32). */
  private varint(x: number): void {
    let rest = x;
    while (rest >= 128) {
      this.room(1).setUint8(this.at++, (rest % 128) + 128);
      rest = Math.floor(rest / 128);
    }
    this.room(1).setUint8(this.at++, rest);
  }

  toBase64(): string {
    return toBase64(new Uint8Array(this.buf.buffer, 0, this.at));
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
