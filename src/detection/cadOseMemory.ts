/** CAD OSE's context memory: fact ids, semi-contexts and contexts, and their checks on reading a state. */

/** Fact ids: one per (bit position, bit value) of the quantised value, and one per context acting as a neuron. */
export const SENSOR_FACT = 65536;
export const NEURON_FACT = 2 ** 31;

/** A semi-context: a set of facts that is the left or right part of contexts, with what matched it at its last crossing. */
export interface SemiContext {
  /** Grows with each new semi-context of a half and is never reused, so a forgotten one cannot be mistaken for a later one. */
  id: number;
  facts: number[];
  key: string;
  /** Pseudo-random tie-break (the reference sorts active contexts by the hash of their parts). */
  hash: number;
  crossed: number[];
  /** Contexts with this left part, by right semi-context id, in the order they were made (left ones only). */
  contexts: Map<number, Context>;
  /** Contexts with this right part (right ones only): a bounded memory forgets it with its last. */
  uses: number;
}

/** A context: its halves, and counters: predictions tried (facts), facts that came true, full activations. */
export interface Context {
  /** Grows with each new context and is never reused (a neuron fact names it). */
  id: number;
  left: SemiContext;
  right: SemiContext;
  zeroLevel: boolean;
  total: number;
  hits: number;
  activations: number;
  /** The memory's use clock when it was created or last fully activated (the least recently used is forgotten first). */
  lastUsed: number;
}

/** The two halves of the context memory (0 left, 1 right). */
export class Half {
  semis = new Map<number, SemiContext>();
  nextId = 0;
  byKey = new Map<string, SemiContext>();
  /** The semi-contexts holding each fact, in id order. */
  byFact = new Map<number, SemiContext[]>();
  /** The semi-contexts marked by the last crossing, in id order. */
  crossedSemis: SemiContext[] = [];

  semiOf(facts: number[]): SemiContext {
    const key = facts.join(',');
    return this.byKey.get(key) ?? this.add(facts, key, this.nextId);
  }

  /** Adds a semi-context under `id` (>= every id so far, as `semiOf` and a saved state give them). */
  add(facts: number[], key: string, id: number): SemiContext {
    const semi = { id, facts, key, hash: hashFacts(facts), crossed: [], contexts: new Map(), uses: 0 };
    this.nextId = id + 1;
    this.byKey.set(key, semi);
    this.semis.set(id, semi);
    for (const f of facts) {
      const list = this.byFact.get(f);
      if (list) {
        list.push(semi);
      } else {
        this.byFact.set(f, [semi]);
      }
    }
    return semi;
  }

  /** Forgets a semi-context that no context uses any more (a bounded memory's eviction). */
  drop(semi: SemiContext): void {
    this.semis.delete(semi.id);
    this.byKey.delete(semi.key);
    for (const f of semi.facts) {
      const list = this.byFact.get(f) ?? [];
      list.splice(list.indexOf(semi), 1);
      if (list.length === 0) {
        this.byFact.delete(f);
      }
    }
    if (semi.crossed.length > 0) {
      this.crossedSemis = this.crossedSemis.filter((c) => c !== semi);
    }
  }

  /** Marks every semi-context sharing facts with `facts` with the facts it shares; returns them in id (creation) order. */
  cross(facts: number[]): SemiContext[] {
    for (const semi of this.crossedSemis) {
      semi.crossed = [];
    }
    const touched: SemiContext[] = [];
    for (const f of facts) {
      for (const semi of this.byFact.get(f) ?? []) {
        if (semi.crossed.length === 0) {
          touched.push(semi);
        }
        semi.crossed.push(f);
      }
    }
    touched.sort((a, b) => a.id - b.id);
    this.crossedSemis = touched;
    return touched;
  }

  /** Saved form: [id, facts] in id order (a Map keeps insertion order, and ids only grow). */
  toState(): Array<[number, number[]]> {
    return [...this.semis.values()].map((semi) => [semi.id, semi.facts]);
  }

  /** Reads `toState()` output into an empty half whose next id is `next`; throws naming `key`. */
  restore(v: unknown, key: string, next: number): void {
    if (!Array.isArray(v)) {
      throw new Error(`Corrupt detector state: field "${key}" is not a list of [id, facts]`);
    }
    for (const entry of v) {
      const [id, facts] = Array.isArray(entry) && entry.length === 2 ? entry : [];
      const ok =
        Number.isInteger(id) &&
        id >= this.nextId &&
        id < next &&
        isFactList(facts) &&
        facts.length > 0 &&
        !this.byKey.has(facts.join(','));
      if (!ok) {
        throw new Error(
          `Corrupt detector state: field "${key}" is not a list of [id, facts] with ids rising below ${next}`
        );
      }
      this.add(facts, facts.join(','), id);
    }
    this.nextId = next;
  }

  /** Reads the saved last crossing ([semi-context id, facts] in id order) into a restored left half. */
  restoreCrossing(v: unknown): void {
    if (!Array.isArray(v)) {
      throw new Error('Corrupt detector state: field "leftCrossing" is not an array');
    }
    let last = -1;
    for (const entry of v) {
      const semi = this.semis.get(Array.isArray(entry) ? entry[0] : undefined);
      if (semi === undefined || semi.id <= last || !isFactList(entry[1]) || entry[1].length === 0) {
        throw new Error('Corrupt detector state: cadose left crossing is not [semi-context, facts] in id order');
      }
      last = semi.id;
      semi.crossed = entry[1];
      this.crossedSemis.push(semi);
    }
  }
}

/** A context's saved form: [id, left, right, zeroLevel, total, hits, activations, lastUsed]. */
export function contextRow(c: Context): number[] {
  return [c.id, c.left.id, c.right.id, c.zeroLevel ? 1 : 0, c.total, c.hits, c.activations, c.lastUsed];
}

/** What saved contexts must keep to: at most `bound`, ids below `nextId`, used no later than `useClock`. */
export interface ContextLimits {
  bound: number;
  nextId: number;
  useClock: number;
}

/**
 * Reads saved contexts (`contextRow`s in id order) into halves that hold only their semi-contexts
 * so far; throws when one is corrupt or a semi-context is left without a context.
 */
export function restoreContexts(lefts: Half, rights: Half, v: unknown, limits: ContextLimits): Map<number, Context> {
  const { bound, nextId, useClock } = limits;
  if (!Array.isArray(v) || v.length > bound || !(Number.isInteger(useClock) && useClock >= 0)) {
    throw new Error(`Corrupt detector state: field "contexts" is not a list of at most ${bound}`);
  }
  const contexts = new Map<number, Context>();
  let last = -1;
  for (const c of v) {
    const ok =
      Array.isArray(c) &&
      c.length === 8 &&
      c.every((x) => Number.isInteger(x) && x >= 0) &&
      c[0] > last &&
      c[0] < nextId &&
      c[3] <= 1 &&
      c[7] <= useClock;
    const left = ok ? lefts.semis.get(c[1]) : undefined;
    const right = ok ? rights.semis.get(c[2]) : undefined;
    if (left === undefined || right === undefined || left.contexts.has(right.id)) {
      throw new Error(
        'Corrupt detector state: cadose context is not [id, left, right, zeroLevel, total, hits, activations, lastUsed] in id order'
      );
    }
    const [id, , , zeroLevel, total, hits, activations, lastUsed] = c;
    last = id;
    const ctx = { id, left, right, zeroLevel: zeroLevel === 1, total, hits, activations, lastUsed };
    left.contexts.set(right.id, ctx);
    right.uses++;
    contexts.set(id, ctx);
  }
  const unused =
    [...lefts.semis.values()].some((l) => l.contexts.size === 0) ||
    [...rights.semis.values()].some((r) => r.uses === 0);
  if (unused) {
    throw new Error('Corrupt detector state: cadose semi-context without a context');
  }
  return contexts;
}

export function pairKey(left: number[], right: number[]): string {
  return `${left.join(',')}|${right.join(',')}`;
}

/** 32-bit FNV-1a over the facts: a fixed pseudo-random order for ties. */
function hashFacts(facts: number[]): number {
  let h = 0x811c9dc5;
  for (const f of facts) {
    h = Math.imul(h ^ (f & 0xffff), 0x01000193);
    h = Math.imul(h ^ Math.floor(f / 65536), 0x01000193);
  }
  return h >>> 0;
}

export function isFactList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((f) => Number.isInteger(f) && f >= SENSOR_FACT);
}

export function factLists(v: unknown, key: string): number[][] {
  if (!Array.isArray(v) || !v.every(isFactList)) {
    throw new Error(`Corrupt detector state: field "${key}" is not a list of fact lists`);
  }
  return v;
}
