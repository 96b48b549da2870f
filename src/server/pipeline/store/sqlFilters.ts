/** `WHERE a AND b ...` of the clauses whose value is given (each clause holds one `?`), and those values in order. */
export function whereOf(clauses: ReadonlyArray<readonly [string, unknown]>): { where: string; params: unknown[] } {
  const given = clauses.filter(([, value]) => value !== undefined);
  return {
    where: given.length > 0 ? `WHERE ${given.map(([clause]) => clause).join(' AND ')}` : '',
    params: given.map(([, value]) => value),
  };
}
