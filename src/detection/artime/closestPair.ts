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

/**
 * 16-bit words of the table closestPair keeps before the categories' flags: per category its closest
 * partner, then their |w_a ^ w_b| in multiples of 1 / levels (2 x capacity words: 96 B at 24
 * categories, where every pair's sum took 552 B).
 */
export function pairTableWords(capacity: number): number {
  return 2 * capacity;
}

/** |w_a ^ w_b| of the categories of the call in progress, in multiples of 1 / levels (grown to the largest capacity seen). */
let scratchSums = new Uint16Array(0);

/**
 * The pair a < b of the first n categories whose fuzzy AND |w_a ^ w_b| is largest as the doubles
 * sum it (the first on equal doubles), as a * capacity + b. A larger sum of codes is a larger
 * double (sums differ by at least 1 / levels, the doubles' rounding by ~1e-13), so only pairs of
 * equal sums of codes need their doubles, which a rounding may set apart.
 *
 * `table` keeps, derived (never stored), each category's closest partner by that order and their
 * sum of codes (pairTableWords), then from `dirtyAt` a flag per category changed since the last call
 * (all, after a restore): a changed category's row is found again, and every other row either
 * takes it as a closer partner or, when its partner was the changed one, is found again too. The
 * closest pair is the closest of the rows' pairs. A merge costs a few rows, not every pair.
 */
export function closestPair(art: CodedCategories, n: number, table: Uint16Array, dirtyAt: number): number {
  const cap = art.capacity;
  if (scratchSums.length < cap) {
    scratchSums = new Uint16Array(cap);
  }
  const sums = scratchSums;
  // A row to find again, beyond the changed ones: flagged 2.
  for (let c = 0; c < n; c++) {
    if (table[dirtyAt + c] !== 1) {
      continue;
    }
    for (let b = 0; b < n; b++) {
      sums[b] = b === c ? 0 : codeIntersection(art, c, b);
    }
    setRow(art, n, table, c, sums);
    for (let a = 0; a < n; a++) {
      if (a === c || table[dirtyAt + a] !== 0) {
        continue;
      }
      if (table[a] === c) {
        table[dirtyAt + a] = 2;
      } else if (closer(art, a, c, sums[a], a, table[a], table[cap + a])) {
        table[a] = c;
        table[cap + a] = sums[a];
      }
    }
    table[dirtyAt + c] = 0;
  }
  for (let a = 0; a < n; a++) {
    if (table[dirtyAt + a] === 2) {
      for (let b = 0; b < n; b++) {
        sums[b] = b === a ? 0 : codeIntersection(art, a, b);
      }
      setRow(art, n, table, a, sums);
      table[dirtyAt + a] = 0;
    }
  }
  let ba = 0;
  for (let a = 1; a < n; a++) {
    if (closer(art, a, table[a], table[cap + a], ba, table[ba], table[cap + ba])) {
      ba = a;
    }
  }
  const bb = table[ba];
  return Math.min(ba, bb) * cap + Math.max(ba, bb);
}

/** Row `a`'s closest partner from its sums of codes with every category (`sums[a]` unused). */
function setRow(art: CodedCategories, n: number, table: Uint16Array, a: number, sums: Uint16Array): void {
  let best = a === 0 ? 1 : 0;
  for (let b = best + 1; b < n; b++) {
    if (b !== a && closer(art, a, b, sums[b], a, best, sums[best])) {
      best = b;
    }
  }
  table[a] = best;
  table[art.capacity + a] = sums[best];
}

/**
 * Whether pair (a, b) of sum of codes `p` comes before pair (c, d) of sum `q`: the larger sum, on
 * equal sums the larger double, on equal doubles the first pair (smaller index first) in order.
 */
function closer(art: CodedCategories, a: number, b: number, p: number, c: number, d: number, q: number): boolean {
  if (p !== q) {
    return p > q;
  }
  const x = intersection(art, a, b);
  const y = intersection(art, c, d);
  if (x !== y) {
    return x > y;
  }
  const lo = Math.min(a, b);
  const lo2 = Math.min(c, d);
  return lo !== lo2 ? lo < lo2 : Math.max(a, b) < Math.max(c, d);
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
