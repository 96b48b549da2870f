/** CAD OSE's context memory: fact ids, semi-contexts and contexts, and their checks on reading a state. */

/** Fact ids: one per (bit position, bit value) of the quantised value, and one per context acting as a neuron. */
export const SENSOR_FACT = 65536;
export const NEURON_FACT = 2 ** 31;

/** A semi-context: a set of facts that is the left or right part of contexts, with what matched it at its last crossing. */
interface SemiContext {
  facts: number[];
  /** Pseudo-random tie-break (the reference sorts active contexts by the hash of their parts). */
  hash: number;
  crossed: number[];
  /** Contexts with this left part, by right semi-context id (left ones only). */
  contexts: Map<number, number>;
}

/** Context counters: predictions tried (facts), facts that came true, full activations. */
export interface Context {
  left: number;
  right: number;
  zeroLevel: boolean;
  total: number;
  hits: number;
  activations: number;
}

/** The two halves of the context memory (0 left, 1 right). */
export class Half {
  semis: SemiContext[] = [];
  byKey = new Map<string, number>();
  byFact = new Map<number, number[]>();
  crossedIds: number[] = [];

  idOf(facts: number[]): number {
    const key = facts.join(',');
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.semis.length;
      this.byKey.set(key, id);
      this.semis.push({ facts, hash: hashFacts(facts), crossed: [], contexts: new Map() });
      for (const f of facts) {
        const list = this.byFact.get(f);
        if (list) {
          list.push(id);
        } else {
          this.byFact.set(f, [id]);
        }
      }
    }
    return id;
  }

  /** Marks every semi-context sharing facts with `facts` with the facts it shares; returns their ids in creation order. */
  cross(facts: number[]): number[] {
    for (const id of this.crossedIds) {
      this.semis[id].crossed = [];
    }
    const touched: number[] = [];
    for (const f of facts) {
      for (const id of this.byFact.get(f) ?? []) {
        const semi = this.semis[id];
        if (semi.crossed.length === 0) {
          touched.push(id);
        }
        semi.crossed.push(f);
      }
    }
    touched.sort((a, b) => a - b);
    this.crossedIds = touched;
    return touched;
  }
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
