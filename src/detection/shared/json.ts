/** Guards for values read back from JSON (the store, the network): checked, never cast. */

/** A JSON object read back from the store or the network, its fields still to be checked. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An array of finite numbers read back from JSON. */
export function isFiniteList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}
