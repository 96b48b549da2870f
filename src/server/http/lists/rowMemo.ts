/**
 * A row decoder that checks each version of a row once: a row read again with every column equal to
 * the last time (the same id, the same values, compared with ===: the JSON columns as text) gets the
 * row it was decoded into then, without parsing its JSON or running its schema again. The decoder is a
 * pure function of the row, so this gives what decoding it again would; a row that failed is not kept
 * and fails again. For a list worker, whose pages mostly show rows it has shown before: the rows
 * returned are shared between pages, so its callers must not change them. Holds `capacity` rows at
 * most, least recently used out first.
 */
export function memoizedDecoder<T>(decode: (row: unknown) => T, capacity: number): (row: unknown) => T {
  const kept = new Map<unknown, { raw: object; decoded: T }>();
  return (row) => {
    if (typeof row !== 'object' || row === null || !('id' in row)) {
      return decode(row);
    }
    const last = kept.get(row.id);
    if (last !== undefined && sameColumns(last.raw, row)) {
      kept.delete(row.id);
      kept.set(row.id, last);
      return last.decoded;
    }
    const decoded = decode(row);
    kept.delete(row.id);
    kept.set(row.id, { raw: row, decoded });
    if (kept.size > capacity) {
      kept.delete(kept.keys().next().value);
    }
    return decoded;
  };
}

function sameColumns(a: object, b: object): boolean {
  let columns = 0;
  for (const column in b) {
    if (!Object.hasOwn(a, column) || Reflect.get(a, column) !== Reflect.get(b, column)) {
      return false;
    }
    columns++;
  }
  return columns === Object.keys(a).length;
}
