import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { heldFloat32, heldFloat64, heldUint16, heldUint8 } from './held';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Lets the FinalizationRegistry's cleanup (a task queued after a GC) run. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('held typed arrays', () => {
  it('are zeroed, of the length asked, and never share bytes with one another', () => {
    const arrays = Array.from({ length: 300 }, (_, k) => heldFloat64(96 + (k % 3)));
    arrays.forEach((a, k) => {
      expect(a.length).toBe(96 + (k % 3));
      expect(a.every((x) => x === 0)).toBe(true);
      a.fill(k + 1);
    });
    // Many arrays share one slab: each still reads back only what was written into it.
    expect(new Set(arrays.map((a) => a.buffer)).size).toBeLessThan(arrays.length);
    arrays.forEach((a, k) => expect(a.every((x) => x === k + 1)).toBe(true));
  });

  it('align every element type within a shared slab', () => {
    const bytes = heldUint8(3);
    const halves = heldUint16(5);
    const floats = heldFloat32(7);
    const doubles = heldFloat64(9);
    for (const a of [bytes, halves, floats, doubles]) {
      expect(a.byteOffset % a.BYTES_PER_ELEMENT).toBe(0);
    }
  });

  it('give a large array a buffer of its own', () => {
    const a = heldFloat64(4096);
    expect(a.byteOffset).toBe(0);
    expect(a.buffer.byteLength).toBe(4096 * 8);
  });

  it('take the block of a collected array again, zeroed', async () => {
    const size = 123; // a size no other test uses: its pool is this test's alone
    let dropped: Float64Array[] | null = Array.from({ length: 20 }, () => heldFloat64(size).fill(7));
    // Kept, and taken after the dropped ones: a block never used before comes after it (or from a new slab).
    const kept = heldFloat64(size);
    dropped = null;
    let again: Float64Array | undefined;
    for (let tries = 0; tries < 20 && !again; tries++) {
      gc();
      await turn();
      const a = heldFloat64(size);
      if (a.buffer === kept.buffer && a.byteOffset < kept.byteOffset) {
        again = a;
      }
    }
    expect(dropped).toBeNull();
    expect(again).toBeDefined();
    expect(again!.every((x) => x === 0)).toBe(true);
  });
});
