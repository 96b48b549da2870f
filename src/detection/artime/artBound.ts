/** Settings of a FuzzyArt (fuzzyArt.ts): how many categories it may hold, and whether its weights are quantised. */
export interface ArtBound {
  /** Most categories held (Infinity: grow without bound, as published). */
  capacity: number;
  /** Weights are multiples of 1 / levels (0: exact doubles). */
  levels: number;
}

export const UNBOUNDED: ArtBound = { capacity: Infinity, levels: 0 };

const levelTables = new Map<number, Float64Array>();
/** n / levels for n = 0 ... levels, one table per `levels` shared by every ART. */
export function levelValues(levels: number): Float64Array {
  let table = levelTables.get(levels);
  if (table === undefined) {
    table = Float64Array.from({ length: levels + 1 }, (_, n) => n / levels);
    levelTables.set(levels, table);
  }
  return table;
}
