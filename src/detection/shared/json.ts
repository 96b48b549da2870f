import type { z } from 'zod';

/** Guards for values read back from JSON (the store, the network): checked, never cast. */

/** A JSON object read back from the store or the network, its fields still to be checked. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An array of finite numbers read back from JSON. */
export function isFiniteList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/** A failed check as "path: message; ..." (no path where the whole value failed), for errors naming what is corrupt. */
export function stateIssues(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}
