import { CadOseDetector } from './cadOse';
import { NEURON_FACT } from './cadOseMemory';
import { createDetector, restoreDetector } from './index';
import { parseDetectorOptions } from './options';
import { Random } from './random';

const PROBATION = 300;

/** A random walk with noise: new value patterns all along, so the unbounded memory keeps growing. */
function walk(n: number, seed = 5): { t: Float64Array; v: Float64Array } {
  const rng = new Random(seed);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let x = 0;
  for (let i = 0; i < n; i++) {
    t[i] = Date.UTC(2024, 0, 1) + i * 60_000;
    x += rng.next() - 0.5;
    v[i] = x + 2 * (rng.next() - 0.5);
  }
  return { t, v };
}

type Saved = Record<string, unknown> & {
  nextIds: unknown;
  contexts: unknown[];
  leftSemis: unknown[];
  rightSemis: unknown[];
  range: unknown;
};
const saved = (d: CadOseDetector): Saved => d.toState() as unknown as Saved;

describe('cadose-bounded', () => {
  it('stays within its bound on a long series while the unbounded memory grows with it', () => {
    const s = walk(20_000);
    const bounded = CadOseDetector.bounded({ trainingPoints: PROBATION, maxContexts: 64 });
    const unbounded = new CadOseDetector({ trainingPoints: PROBATION });
    const sizes: number[] = [];
    for (let i = 0; i < s.t.length; i++) {
      bounded.update(s.t[i], s.v[i]);
      expect(bounded.contextCount).toBeLessThanOrEqual(64);
      if (i < 5_000) {
        unbounded.update(s.t[i], s.v[i]);
      }
      if (i === 5_000 || i === s.t.length - 1) {
        const st = saved(bounded);
        // Every semi-context belongs to a context that is held: at most one of each per context.
        expect(st.leftSemis.length).toBeLessThanOrEqual(64);
        expect(st.rightSemis.length).toBeLessThanOrEqual(64);
        sizes.push(JSON.stringify(st).length);
      }
    }
    expect(bounded.contextCount).toBe(64);
    expect(unbounded.contextCount).toBeGreaterThan(1_000);
    // The state does not grow with the series: the same bound after 5,000 and 20,000 points.
    expect(sizes[1]).toBeLessThan(1.25 * sizes[0]);
    expect(sizes[0]).toBeLessThan(JSON.stringify(unbounded.toState()).length / 10);
  });

  it('scores exactly as the unbounded detector until its memory is full', () => {
    const s = walk(6_000);
    const bounded = CadOseDetector.bounded({ trainingPoints: PROBATION, maxContexts: 1024 });
    const unbounded = new CadOseDetector({ trainingPoints: PROBATION });
    let full = -1;
    for (let i = 0; i < s.t.length && full < 0; i++) {
      expect(bounded.update(s.t[i], s.v[i])).toBe(unbounded.update(s.t[i], s.v[i]));
      full = unbounded.contextCount > 1024 ? i : -1;
    }
    expect(full).toBeGreaterThan(PROBATION);
  });

  it('round-trips its state (memory full, contexts forgotten, online range settled) and continues identically', () => {
    const s = walk(8_000);
    for (const cut of [100, 3_000, 7_000]) {
      const a = CadOseDetector.bounded({ trainingPoints: PROBATION, maxContexts: 64 });
      for (let i = 0; i < cut; i++) {
        a.update(s.t[i], s.v[i]);
      }
      const state = JSON.parse(JSON.stringify(a.toState()));
      const b = restoreDetector(state);
      expect(b.name).toBe('cadose-bounded');
      expect(saved(b as CadOseDetector).range).toEqual(state.range);
      for (let i = cut; i < Math.min(s.t.length, cut + 800); i++) {
        expect(b.update(s.t[i], s.v[i])).toBe(a.update(s.t[i], s.v[i]));
      }
      expect(JSON.stringify(b.toState())).toBe(JSON.stringify(a.toState()));
    }
  });

  it('refuses a corrupt or inconsistent state clearly', () => {
    const s = walk(2_000);
    const d = CadOseDetector.bounded({ trainingPoints: PROBATION, maxContexts: 32 });
    s.v.forEach((v, i) => d.update(s.t[i], v));
    const state = saved(d);
    const [first] = state.contexts as number[][];
    expect(() => restoreDetector({ ...state, maxContexts: null })).toThrow(/cadose-bounded with maxContexts null/);
    expect(() => restoreDetector({ ...state, maxContexts: 8 })).toThrow(/maxContexts must be an integer >= 16/);
    expect(() => restoreDetector({ ...state, contexts: [...state.contexts, [10 ** 6, 0, 0, 0, 0, 0, 0, 0]] })).toThrow(
      /Corrupt detector state/
    );
    // A context naming a semi-context that is not held; a semi-context no context uses.
    expect(() =>
      restoreDetector({ ...state, contexts: [[first[0], -1, ...first.slice(2)], ...state.contexts.slice(1)] })
    ).toThrow(/cadose context is not/);
    const [nextLeft, nextRight, nextContext] = state.nextIds as number[];
    // A newer context in the last one's place (the memory is full) whose right semi-context is not
    // held, or whose pair of halves the first context has.
    for (const right of [10 ** 6, first[2]]) {
      const extra = { contexts: [...state.contexts.slice(0, -1), [nextContext, first[1], right, 0, 0, 0, 0, 0]] };
      const ids = { nextIds: [nextLeft, nextRight, nextContext + 1] };
      expect(() => restoreDetector({ ...state, ...extra, ...ids })).toThrow(/cadose context is not/);
    }
    const unused = {
      leftSemis: [...state.leftSemis, [nextLeft, [NEURON_FACT + 10 ** 6]]],
      nextIds: [nextLeft + 1, nextRight, nextContext],
    };
    expect(() => restoreDetector({ ...state, ...unused })).toThrow(/semi-context without a context/);
    expect(() => restoreDetector({ ...state, name: 'cadose', maxContexts: 32 })).toThrow(/cadose with maxContexts 32/);
  });

  it('takes its bound as an option, checked by its schema', () => {
    expect(parseDetectorOptions('cadose-bounded', { maxContexts: 128 })).toEqual({ maxContexts: 128 });
    expect(() => parseDetectorOptions('cadose-bounded', { maxContexts: 8 })).toThrow(/option "maxContexts"/);
    expect(() => parseDetectorOptions('cadose', { maxContexts: 128 })).toThrow(/unknown option "maxContexts"/);
    expect(createDetector('cadose-bounded', { maxContexts: 16 }).name).toBe('cadose-bounded');
  });
});
