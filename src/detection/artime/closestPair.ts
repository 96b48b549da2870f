/**
 * A bounded FuzzyArt's closest pair of categories (see FuzzyArt for the merging rule), from its
 * weights as codes (multiples of 1 / levels, rows of `dimComp`) and `value` (code -> weight).
 */
export interface CodedCategories {
  codes: Uint8Array;
  value: Float64Array;
  dimComp: number;
  capacity: number;
}

/** Where |w_a ^ w_b| (a < b) is in the pair table. */
function pairAt(capacity: number, a: number, b: number): number {
  return (a * (2 * capacity - a - 1)) / 2 + (b - a - 1);
}

/** Entries of the pair table of `capacity` categories. */
export function pairCount(capacity: number): number {
  return (capacity * (capacity - 1)) / 2;
}

/**
 * The pair a < b of the first n categories whose fuzzy AND |w_a ^ w_b| is largest as the doubles
 * sum it (the first on equal doubles), as a * capacity + b. `table` holds, from 0, |w_a ^ w_b| in
 * multiples of 1 / levels (the sum of the smaller codes, exact in 16 bits), then from `dirtyAt` a
 * flag per category: derived, brought up to date here for the categories flagged, so a merge costs a
 * few rows. A larger sum of codes is a larger double (sums differ by at least 1 / levels, the
 * doubles' rounding by ~1e-13), so only pairs of equal sums of codes need their doubles, which a
 * rounding may set apart.
 */
export function closestPair(art: CodedCategories, n: number, table: Uint16Array, dirtyAt: number): number {
  const cap = art.capacity;
  for (let a = 0; a < n; a++) {
    if (table[dirtyAt + a]) {
      for (let b = 0; b < n; b++) {
        if (b !== a) {
          table[a < b ? pairAt(cap, a, b) : pairAt(cap, b, a)] = codeIntersection(art, a, b);
        }
      }
      table[dirtyAt + a] = 0;
    }
  }
  let best = -1;
  let bestInter = NaN;
  let ba = 0;
  let bb = 1;
  for (let a = 0; a < n; a++) {
    const row = pairAt(cap, a, a + 1);
    for (let b = a + 1; b < n; b++) {
      const p = table[row + b - a - 1];
      if (p > best) {
        best = p;
        bestInter = NaN;
        ba = a;
        bb = b;
      } else if (p === best) {
        if (Number.isNaN(bestInter)) {
          bestInter = intersection(art, ba, bb);
        }
        const inter = intersection(art, a, b);
        if (inter > bestInter) {
          bestInter = inter;
          ba = a;
          bb = b;
        }
      }
    }
  }
  return ba * cap + bb;
}

/** |w_a ^ w_b| in multiples of 1 / levels: the sum of the smaller codes. */
function codeIntersection({ codes: w, dimComp: DC }: CodedCategories, a: number, b: number): number {
  let inter = 0;
  for (let k = 0; k < DC; k++) {
    const x = w[a * DC + k];
    const y = w[b * DC + k];
    inter += x < y ? x : y;
  }
  return inter;
}

/** |w_a ^ w_b| summed as the doubles the weights are, in the order the match sums. */
function intersection({ codes: w, value, dimComp: DC }: CodedCategories, a: number, b: number): number {
  let inter = 0;
  for (let k = 0; k < DC; k++) {
    const x = w[a * DC + k];
    const y = w[b * DC + k];
    inter += value[x < y ? x : y];
  }
  return inter;
}
