import fc from 'fast-check';
import { SCORE_STEPS, scoreWord } from './recentSteps';
import type { TargetModel } from './targetModel';
import { jobTarget, testSettings } from './testTargets';

const STEP = 60_000;
const T0 = Date.UTC(2026, 0, 5);
const settings = testSettings({ stepMs: STEP, probation: 5, detailPoints: 8 });

/** A target of two signals stepped at T0 + i steps; a NaN pair is a step without any sample. */
function stepped(steps: Array<[number, number, number]>): TargetModel {
  const model = jobTarget('a', settings, 0.5);
  model.signalIndex({ name: 'cpu', kind: 'cpu' });
  model.signalIndex({ name: 'errors', kind: 'errors' });
  for (const [i, cpu, errors] of steps) {
    model.step(T0 + i * STEP, [cpu, errors]);
  }
  return model;
}

describe('RecentSteps (the detail ring, its times from the watch grid)', () => {
  it('keeps the last detailPoints steps with their own times and values, oldest first', () => {
    const model = stepped(Array.from({ length: 20 }, (_, i): [number, number, number] => [i, 10 + i, i % 3]));
    const { cpu, errors } = model.recent();
    expect(cpu.map((p) => p.t)).toEqual(Array.from({ length: 8 }, (_, k) => T0 + (12 + k) * STEP));
    expect(cpu.map((p) => p.value)).toEqual(Array.from({ length: 8 }, (_, k) => 22 + k));
    expect(errors.map((p) => p.value)).toEqual(Array.from({ length: 8 }, (_, k) => (12 + k) % 3));
    expect(model.scoreHistory().map((p) => p[0])).toEqual(cpu.map((p) => p.t));
  });

  it('shows no point for a step without any sample, and the times around it stay exact', () => {
    const steps: Array<[number, number, number]> = [0, 1, 2, 5, 6, 9].map((i) => [i, 10 + i, 1]);
    steps.push([7, NaN, NaN]);
    const model = stepped(steps.sort((a, b) => a[0] - b[0]));
    const { cpu, errors } = model.recent();
    // The last 8 grid steps are 2..9: 3, 4, 7 and 8 had no sample.
    expect(cpu.map((p) => p.t)).toEqual([2, 5, 6, 9].map((i) => T0 + i * STEP));
    expect(cpu.map((p) => p.value)).toEqual([12, 15, 16, 19]);
    expect(errors).toHaveLength(4);
    expect(model.scoreHistory().map((p) => p[0])).toEqual(cpu.map((p) => p.t));
  });

  it('keeps a step of one signal only as that signal with no value, the other with its own', () => {
    const model = stepped([
      [0, 1, 1],
      [1, 2, NaN],
      [2, 3, 1],
    ]);
    const { errors } = model.recent();
    expect(errors.map((p) => [p.t, p.value, p.score])).toEqual([
      [T0, 1, errors[0].score],
      [T0 + STEP, null, 0],
      [T0 + 2 * STEP, 1, errors[2].score],
    ]);
  });

  it('after a gap longer than the ring, shows only what came after it', () => {
    const before = Array.from({ length: 8 }, (_, i): [number, number, number] => [i, i, i]);
    const model = stepped([...before, [30, 5, 5], [32, 6, 6]]);
    expect(model.recent().cpu.map((p) => [p.t, p.value])).toEqual([
      [T0 + 30 * STEP, 5],
      [T0 + 32 * STEP, 6],
    ]);
  });

  it("shows each step's band as its detector drew it, to 4-5 digits (the ring keeps its expected value and half width in 24 bits)", () => {
    const model = jobTarget('a', { ...settings, detailPoints: 40 }, 0.5);
    model.signalIndex({ name: 'cpu', kind: 'cpu' });
    const bands: Array<[number, number, number]> = [];
    const scores: number[] = [];
    for (let i = 0; i < 40; i++) {
      model.step(T0 + i * STEP, [1000 + (i % 7) * 0.37 + (i === 30 ? 50 : 0)]);
      const { expected, lower, upper, score } = model.signals[0];
      bands.push([expected, lower, upper]);
      scores.push(score);
    }
    const shown = model.recent().cpu;
    expect(shown).toHaveLength(40);
    let banded = 0;
    shown.forEach((p, i) => {
      expect(Math.abs(p.score - scores[i])).toBeLessThanOrEqual(1 / SCORE_STEPS);
      expect(p.score >= model.threshold).toBe(scores[i] >= model.threshold);
      const [expected, lower, upper] = bands[i];
      if (Number.isNaN(expected)) {
        expect([p.expected, p.lower, p.upper]).toEqual([null, null, null]);
        return;
      }
      banded++;
      // Each within 2^-16 of its float32: at 1000, 0.015, where the band moves by 0.37 a step.
      const ulp = 2 ** -16 * (Math.abs(expected) + (upper - lower));
      expect(Math.abs(p.expected! - expected)).toBeLessThanOrEqual(ulp);
      expect(Math.abs(p.lower! - lower)).toBeLessThanOrEqual(ulp);
      expect(Math.abs(p.upper! - upper)).toBeLessThanOrEqual(ulp);
    });
    expect(banded).toBeGreaterThan(20);
  });

  it('keeps a score to 1/65534, on the side of the threshold it was judged against', () => {
    const S = SCORE_STEPS;
    // Thresholds anywhere, scores at and around them (where a rounding could cross) and anywhere in [0, 1].
    const near = fc
      .tuple(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: -3, max: 3 }),
        fc.double({ min: -1, max: 1, noNaN: true })
      )
      .map(([threshold, steps, frac]) => [threshold, Math.min(1, Math.max(0, threshold + (steps + frac) / S / 2))]);
    const anywhere = fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }));
    fc.assert(
      fc.property(fc.oneof(near, anywhere), ([threshold, score]) => {
        const q = scoreWord(score, threshold);
        expect(Number.isInteger(q) && q >= 0 && q <= S).toBe(true);
        expect(Math.abs(q / S - score)).toBeLessThanOrEqual(1 / S);
        expect(q / S >= threshold).toBe(score >= threshold);
      }),
      { numRuns: 2000 }
    );
    expect([scoreWord(0, 0.5), scoreWord(1, 0.5), scoreWord(0.99, 0.99), scoreWord(0.99 - 1e-9, 0.99)]).toEqual([
      0,
      S,
      Math.ceil(0.99 * S),
      Math.floor(0.99 * S),
    ]);
  });

  it('is empty before the first step, and keeps nothing with detailPoints 0', () => {
    expect(stepped([]).recent()).toEqual({ cpu: [], errors: [] });
    const none = jobTarget('a', { ...settings, detailPoints: 0 }, 0.5);
    none.signalIndex({ name: 'cpu', kind: 'cpu' });
    none.step(T0, [1]);
    expect(none.recent()).toEqual({ cpu: [] });
    expect(none.scoreHistory()).toEqual([]);
  });
});
