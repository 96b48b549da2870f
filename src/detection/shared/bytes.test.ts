import { Random } from '../random';
import { ByteReader, ByteWriter, fromBase64, toBase64 } from './bytes';

describe('detector state bytes', () => {
  it('codes base64 as Node does, for every length modulo 3, and back', () => {
    const rng = new Random(3);
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, () => Math.floor(rng.next() * 256));
      const text = toBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(Array.from(fromBase64(text))).toEqual(Array.from(bytes));
    }
  });

  it('refuses text that is not canonical base64', () => {
    expect(() => fromBase64('abc')).toThrow(/not base64 \(length\)/);
    expect(() => fromBase64('ab$d')).toThrow(/not base64/);
    expect(() => fromBase64('a=bc')).toThrow(/not base64/);
  });

  it('reads back what it wrote, bit for bit (NaN and infinities included), and checks lengths', () => {
    const f64 = [0, -0, 1.5, NaN, -Infinity, Infinity, Number.MIN_VALUE, 1 / 3];
    const text = new ByteWriter()
      .f64(f64)
      .f32([0.25, 1 / 3])
      .u32([0, 2 ** 32 - 1])
      .u8([0, 255])
      .toBase64();
    const r = new ByteReader(text, 'bytes');
    expect(Array.from(r.f64(f64.length))).toEqual(f64);
    expect(Array.from(r.f32(2))).toEqual([0.25, Math.fround(1 / 3)]);
    expect(Array.from(r.u32(2))).toEqual([0, 2 ** 32 - 1]);
    expect(Array.from(r.u8(2))).toEqual([0, 255]);
    r.end();
    const short = new ByteReader(text, 'bytes');
    expect(() => short.f64(100)).toThrow(/field "bytes" is too short/);
    const long = new ByteReader(text, 'bytes');
    long.f64(1);
    expect(() => long.end()).toThrow(/field "bytes" is too long/);
  });

  it('refuses to write a number that its width would change', () => {
    expect(() => new ByteWriter().u32([2 ** 32])).toThrow(/unsigned 32-bit/);
    expect(() => new ByteWriter().u32([1.5])).toThrow(/unsigned 32-bit/);
    expect(() => new ByteWriter().u8([256])).toThrow(/as a byte/);
  });

  it('packs numbers in as few bytes as keep them exact, and reads them back bit for bit', () => {
    const xs = [
      0,
      239,
      240,
      1_717_999_940_000,
      -3,
      -(2 ** 53 - 1),
      2 ** 53 - 1,
      0.5,
      0.1,
      -0,
      NaN,
      Infinity,
      -Infinity,
    ];
    const text = new ByteWriter().nums(xs).u16([0, 65535]).toBase64();
    const r = new ByteReader(text, 'bytes');
    const back = Array.from(r.nums(xs.length));
    back.forEach((x, k) => expect(Object.is(x, xs[k])).toBe(true));
    expect(Array.from(r.u16(2))).toEqual([0, 65535]);
    r.end();
    // A small integer is one byte, a timestamp a tag and 6 bytes, a double a tag and 8.
    expect(fromBase64(new ByteWriter().nums([7, 1_717_999_940_000, 0.1]).toBase64()).length).toBe(1 + 7 + 9);
    expect(() => new ByteReader(toBase64(Uint8Array.of(0xfe)), 'bytes').nums(1)).toThrow(/unknown number tag 254/);
    expect(() => new ByteReader(toBase64(Uint8Array.of(0xf0, 0x80)), 'bytes').nums(1)).toThrow(/too short/);
    expect(() => new ByteWriter().u16([65536])).toThrow(/16-bit/);
  });

  it('codes long inputs as Node does, longer ones than it keeps a buffer for, and short ones after them', () => {
    const rng = new Random(5);
    for (const n of [3_070, 3_071, 3_072, 3_073, 70_000, 5, 1, 0]) {
      const bytes = Uint8Array.from({ length: n }, () => Math.floor(rng.next() * 256));
      expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    }
  });

  it('gives each writer only its own bytes, though writers share a buffer, and ends a writer at toBase64', () => {
    const rng = new Random(7);
    const long = Array.from({ length: 20_000 }, () => rng.next());
    const first = new ByteWriter().f64(long);
    const text = first.toBase64();
    expect(() => first.u8([1])).toThrow(/after toBase64/);
    const second = new ByteWriter().u8([1, 2, 3]).toBase64();
    expect(Array.from(fromBase64(second))).toEqual([1, 2, 3]);
    expect(Array.from(new ByteReader(text, 'bytes').f64(long.length))).toEqual(long);
  });

  it('writes typed arrays of bytes and 16-bit words as it writes the same numbers in plain arrays', () => {
    const words = new Uint16Array([1, 2, 0xfffe, 0xffff, 258]).subarray(1, 4);
    const bytes = new Uint8Array([9, 0, 255, 7]).subarray(1);
    const typed = new ByteWriter().u8([5]).u16(words).u8(bytes).toBase64();
    const plain = new ByteWriter().u8([5]).u16(Array.from(words)).u8(Array.from(bytes)).toBase64();
    expect(typed).toBe(plain);
    const r = new ByteReader(typed, 'bytes');
    expect(Array.from(r.u8(1))).toEqual([5]);
    expect(Array.from(r.u16(3))).toEqual([2, 0xfffe, 0xffff]);
    expect(Array.from(r.u8(3))).toEqual([0, 255, 7]);
    r.end();
  });

  it('packs many numbers of every kind, past the buffer it starts with, and reads them back bit for bit', () => {
    const rng = new Random(11);
    const kinds = [
      () => Math.floor(rng.next() * 240),
      () => Math.floor(rng.next() * 2 ** 53),
      () => -Math.floor(rng.next() * 2 ** 40),
      () => Math.fround(rng.next()),
      () => rng.next(),
      () => [NaN, -0, Infinity, -Infinity][Math.floor(rng.next() * 4)],
    ];
    const xs = Array.from({ length: 10_000 }, (_, k) => kinds[k % kinds.length]());
    const r = new ByteReader(new ByteWriter().nums(xs).toBase64(), 'bytes');
    const back = Array.from(r.nums(xs.length));
    r.end();
    expect(back.every((x, k) => Object.is(x, xs[k]))).toBe(true);
  });
});
