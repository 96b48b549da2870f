import { closestPair, pairTableWords, type CodedCategories } from './closestPair';

/** The rule as first written: the largest |w_a ^ w_b| summed as doubles, the first on equal doubles. */
function byDoubles(art: CodedCategories, n: number): number {
  const { codes, value, dimComp: DC, capacity } = art;
  let best = -1;
  let found = 0;
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      let inter = 0;
      for (let k = 0; k < DC; k++) {
        inter += value[Math.min(codes[a * DC + k], codes[b * DC + k])];
      }
      if (inter > best) {
        best = inter;
        found = a * capacity + b;
      }
    }
  }
  return found;
}

describe('closestPair', () => {
  const levels = 255;
  const value = Float64Array.from({ length: levels + 1 }, (_, n) => n / levels);

  it('on equal sums of codes picks the larger double, as the doubles alone did', () => {
    // With category 0 all ones, |w_0 ^ w_b| is |w_b|: 406 / 255 for both others, but as doubles
    // 1.592156862745098 for category 1 and 1.5921568627450982 for category 2.
    const codes = Uint8Array.from([255, 255, 255, 255, 44, 117, 66, 179, 44, 117, 65, 180]);
    const art: CodedCategories = { codes, value, dimComp: 4, capacity: 3 };
    const dirtyAt = pairTableWords(3);
    const found = closestPair(art, 3, new Uint16Array(dirtyAt + 3).fill(1, dirtyAt), dirtyAt);
    expect(found).toBe(byDoubles(art, 3));
    expect(found).toBe(0 * 3 + 2);
  });

  it('picks the pair the doubles pick as categories change, from a table it keeps up to date', () => {
    const capacity = 24;
    const DC = 32;
    const art: CodedCategories = { codes: new Uint8Array(capacity * DC), value, dimComp: DC, capacity };
    // The pairs, then a flag per category.
    const dirtyAt = pairTableWords(capacity);
    const table = new Uint16Array(dirtyAt + capacity).fill(1, dirtyAt);
    // Any codes, from a small LCG.
    let seed = 12345;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    for (let round = 0; round < 300; round++) {
      const c = round === 0 ? -1 : round % capacity;
      for (let k = 0; k < (c < 0 ? capacity * DC : DC); k++) {
        art.codes[(c < 0 ? 0 : c * DC) + k] = next();
      }
      if (c >= 0) {
        table[dirtyAt + c] = 1;
      }
      const found = closestPair(art, capacity, table, dirtyAt);
      expect(found).toBe(byDoubles(art, capacity));
    }
  });

  it('picks the pair the doubles pick when many pairs tie, a few categories changing at a time', () => {
    // Three levels: sums of codes and their doubles tie often, so the first pair in order decides.
    const few = Float64Array.from({ length: 3 }, (_, n) => n / 2);
    const capacity = 12;
    const DC = 4;
    const art: CodedCategories = { codes: new Uint8Array(capacity * DC), value: few, dimComp: DC, capacity };
    const dirtyAt = pairTableWords(capacity);
    const table = new Uint16Array(dirtyAt + capacity).fill(1, dirtyAt);
    let seed = 777;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    for (let round = 0; round < 500; round++) {
      const changed = round === 0 ? capacity : 1 + (next() % 3);
      for (let j = 0; j < changed; j++) {
        const c = round === 0 ? j : next() % capacity;
        for (let k = 0; k < DC; k++) {
          art.codes[c * DC + k] = next() % 3;
        }
        table[dirtyAt + c] = 1;
      }
      expect(closestPair(art, capacity, table, dirtyAt)).toBe(byDoubles(art, capacity));
    }
  });
});
