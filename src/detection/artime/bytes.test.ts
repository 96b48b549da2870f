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
});
