import { ArtimeDetector } from '../artime';
import { FailureProphetDetector } from '../failureprophet';
import { synthetic } from '../testSeries';
import fc from 'fast-check';
import { getF24, getF32, getF64, putF24Pair, putF32, putF64, Slab } from './arrays';

describe('a slab of regions', () => {
  it('cuts zeroed, 8-aligned, disjoint regions from shared buffers, and large ones apart', () => {
    const slab = new Slab();
    const taken = [3, 2400, 1144, 2304, 9000, 5, 2400, 2400, 2400, 2400, 2400, 2400, 2400, 2400, 2400, 2400, 2400].map(
      (bytes) => ({ bytes, ...slab.take(bytes) })
    );
    const shared = new Set(taken.map((r) => r.buffer));
    expect(shared.size).toBeLessThan(taken.length / 2);
    for (const r of taken) {
      expect(r.offset % 8).toBe(0);
      expect(r.offset + r.bytes).toBeLessThanOrEqual(r.buffer.byteLength);
      expect(new Uint8Array(r.buffer, r.offset, r.bytes).every((b) => b === 0)).toBe(true);
    }
    // A region larger than a quarter slab has a buffer of its own.
    expect(taken[4].buffer.byteLength).toBe(9000);
    for (const a of taken) {
      for (const b of taken) {
        if (a !== b && a.buffer === b.buffer) {
          expect(a.offset + a.bytes <= b.offset || b.offset + b.bytes <= a.offset).toBe(true);
        }
      }
    }
  });

  it('keeps detectors apart: each scores and stores as if alone, whatever its neighbours in the slab do', () => {
    const { t, v } = synthetic('spike', 2000, 1500);
    const alone = (): FailureProphetDetector => new FailureProphetDetector();
    // Built side by side, updated interleaved: their views sit next to each other in the models' slab.
    const side = [alone(), alone(), ArtimeDetector.bounded({ trainingPoints: 100 }), alone()];
    const scores: number[][] = side.map(() => []);
    for (let i = 0; i < t.length; i++) {
      side.forEach((d, k) => scores[k].push(d.update(t[i], k === 1 ? v[i] * 3 + 7 : v[i])));
    }
    const single = alone();
    const own = Array.from(t, (ti, i) => single.update(ti, v[i]));
    expect(scores[0]).toEqual(own);
    expect(scores[3]).toEqual(own);
    expect(side[0].toState()).toEqual(single.toState());
    expect(side[3].toState()).toEqual(single.toState());
  });
});

describe('floats in 16-bit words', () => {
  it('hold a float64 (four words) and a float32 (two) bit for bit, at any word, leaving the words around them', () => {
    const bits = (x: number): string => Buffer.from(new Float64Array([x]).buffer).toString('hex');
    fc.assert(
      fc.property(fc.double(), fc.float(), fc.nat(6), (x, y, at) => {
        const words = new Uint16Array(16).fill(0xabcd);
        putF64(words, at, x);
        putF32(words, at + 4, y);
        expect(bits(getF64(words, at))).toBe(bits(x));
        expect(Object.is(getF32(words, at + 4), y)).toBe(true);
        expect(words.every((w, k) => (k >= at && k < at + 6) || w === 0xabcd)).toBe(true);
      })
    );
  });

  it('hold two floats in 24 bits each (three words): within 2^-16 of each, the words around them left', () => {
    fc.assert(
      fc.property(fc.double(), fc.double(), fc.nat(6), (a, b, at) => {
        const words = new Uint16Array(12).fill(0xabcd);
        putF24Pair(words, at, a, b);
        expect(words.every((w, k) => (k >= at && k < at + 3) || w === 0xabcd)).toBe(true);
        [a, b].forEach((x, which) => {
          const kept = getF24(words, at, which as 0 | 1);
          const f = Math.fround(x);
          if (!Number.isFinite(f)) {
            expect(Object.is(kept, f)).toBe(true);
          } else {
            // Finite stays finite, on its side of 0, within 2^-16 of its float32 (float32's smallest numbers: within 2^-141).
            expect(Number.isFinite(kept)).toBe(true);
            expect(Math.sign(kept) * Math.sign(f)).not.toBe(-1);
            expect(Math.abs(kept - f)).toBeLessThanOrEqual(Math.max(2 ** -16 * Math.abs(f), 2 ** -141));
          }
        });
      }),
      { numRuns: 5000 }
    );
    const words = new Uint16Array(3);
    const kept = (a: number, b = 0) => {
      putF24Pair(words, 0, a, b);
      return [getF24(words, 0, 0), getF24(words, 0, 1)];
    };
    // Rounded to the nearest: 1 + 2^-15 is kept, 1 + 2^-16 is a tie (to even: 1), 1 + 3 x 2^-17 rounds up.
    expect(kept(1 + 2 ** -15, -(1 + 3 * 2 ** -17))).toEqual([1 + 2 ** -15, -(1 + 2 ** -15)]);
    expect(kept(1 + 2 ** -16)).toEqual([1, 0]);
    // The largest float32 is not rounded into the infinities; they and NaN are kept.
    expect(kept(3.4028234663852886e38)[0]).toBe((2 - 2 ** -15) * 2 ** 127);
    expect(kept(Infinity, -Infinity)).toEqual([Infinity, -Infinity]);
    expect(kept(NaN, 12.5)).toEqual([NaN, 12.5]);
  });
});
