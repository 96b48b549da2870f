import { ARTIME_RANGE_SEEN, ArtimeDetector } from './artime';
import { FailureProphetDetector } from './failureprophet';
import {
  FAULT_SCORE,
  FailureProphetLeadersDetector,
  GROSS_SPANS,
  LEADERS_ARTIME_WEIGHT,
  PRODUCT_CATEGORIES,
} from './failureprophetLeaders';
import { GrossRangeView } from './grossRange';
import { RUN_MEMORY_MS } from './failureprophetV5';
import { createDetector, RECOMMENDED_THRESHOLD, restoreDetector } from './index';
import { Random } from './random';
import type { StreamingDetector } from './detector';

const STEP = 300_000;
const T0 = Date.UTC(2024, 0, 1);
const N = 6048; // three weeks at 5 minutes
const PROBATION = 750;
const HOUR = 12; // samples
const FEW = 5;

/** Three weeks of a noisy daily rhythm or a noisy random walk, with a spike and a shift early on (earlier alarms). */
function series(kind: 'daily' | 'walk', seed = 11): Float64Array {
  const rng = new Random(seed);
  const gauss = (): number => rng.next() + rng.next() + rng.next() - 1.5;
  let prev = 50;
  return Float64Array.from({ length: N }, (_, i) => {
    prev = kind === 'daily' ? 20 + 5 * Math.sin((2 * Math.PI * i) / 288) + gauss() : prev + 0.1 * gauss();
    return prev + (i === 1500 ? 8 : 0) + (i >= 2000 && i < 2100 ? 4 : 0);
  });
}

const NAMES = ['failureprophet-leaders', 'failureprophet'] as const;
type LeadersName = (typeof NAMES)[number];

const run = (d: StreamingDetector, v: Float64Array): Float64Array =>
  Float64Array.from(v, (x, i) => d.update(T0 + i * STEP, x));

const rangeBefore = (v: Float64Array, at: number): { lo: number; hi: number } => {
  const before = v.subarray(0, at);
  return { lo: Math.min(...before), hi: Math.max(...before) };
};

/** Each gross fault of issue 12, item 4, from `at` on (a jump to 10x the range above it, ...). */
const FAULTS: Record<string, (v: Float64Array, at: number) => (x: number, i: number) => number> = {
  jump: (v, at) => {
    const { lo, hi } = rangeBefore(v, at);
    return (x, i) => (i >= at ? hi + 10 * (hi - lo) : x);
  },
  spike: (v, at) => {
    const { lo, hi } = rangeBefore(v, at);
    return (x, i) => (i === at ? hi + 10 * (hi - lo) : x);
  },
  'drop to zero': (_, at) => (x, i) => (i >= at ? 0 : x),
  'stuck flat': (v, at) => (x, i) => (i >= at ? v[at - 1] : x),
  stop: (_, at) => (x, i) => (i >= at ? NaN : x),
};

describe.each(NAMES)('%s', (name: LeadersName) => {
  const leaders = (): FailureProphetLeadersDetector =>
    name === 'failureprophet'
      ? new FailureProphetDetector({ trainingPoints: PROBATION })
      : new FailureProphetLeadersDetector({ trainingPoints: PROBATION });
  /** The first samples the detector reports, from `at`: the largest of the first FEW. */
  const firstReports = (v: Float64Array, at: number): number => Math.max(...run(leaders(), v).subarray(at, at + FEW));

  describe.each(['daily', 'walk'] as const)('on a %s series', (kind) => {
    const v = series(kind);
    const clean = run(leaders(), v);
    const alarms = [...clean.keys()].filter((i) => i >= PROBATION && clean[i] >= RECOMMENDED_THRESHOLD);

    it('alarms on the clean series after its probation (so the faults below land after alarms)', () => {
      expect(alarms.length).toBeGreaterThan(0);
    });

    it.each(Object.keys(FAULTS))(
      '%s is reported above the threshold within 5 samples at 0.5, 2, 6, 11 and 23 h after each of the first 3 alarms',
      (fault) => {
        const missed: Array<{ alarm: number; hours: number; score: number }> = [];
        for (const alarm of alarms.slice(0, 3)) {
          for (const hours of [0.5, 2, 6, 11, 23]) {
            const at = alarm + Math.round(hours * HOUR);
            const score = firstReports(Float64Array.from(v, FAULTS[fault](v, at)), at);
            if (!(score >= RECOMMENDED_THRESHOLD)) {
              missed.push({ alarm, hours, score });
            }
          }
        }
        expect(missed).toEqual([]);
      }
    );
  });

  it('reports a jump further out, and a drop to zero, after an earlier gross jump was called', () => {
    const v = series('daily');
    const { lo, hi } = rangeBefore(v, 3000);
    const first = hi + 10 * (hi - lo);
    const stepped = Float64Array.from(v, (x, i) => (i >= 3000 ? first + (x - 20) : x));
    expect(run(leaders(), stepped)[3000]).toBe(FAULT_SCORE);
    for (const hours of [0.5, 2, 6, 11, 23]) {
      const at = 3000 + Math.round(hours * HOUR);
      const further = Float64Array.from(stepped, (x, i) => (i >= at ? 10 * first : x));
      const zero = Float64Array.from(stepped, (x, i) => (i >= at ? 0 : x));
      expect(run(leaders(), further)[at]).toBe(FAULT_SCORE);
      expect(run(leaders(), zero)[at]).toBe(FAULT_SCORE);
    }
  });

  it('reports a service down again a day or a week after an outage at its first zero; one off every night, not nightly', () => {
    const v = series('daily');
    const DAY = 24 * HOUR;
    const outage = (x: number, i: number, at: number): number => (i >= at && i < at + 2 * HOUR ? 0 : x);
    const once = Float64Array.from(v, (x, i) => outage(x, i, 5 * DAY));
    expect(run(leaders(), once)[5 * DAY]).toBe(FAULT_SCORE);
    for (const later of [6 * DAY, 7 * DAY, 12 * DAY]) {
      const again = Float64Array.from(once, (x, i) => outage(x, i, later));
      expect(run(leaders(), again)[later]).toBe(FAULT_SCORE);
    }
    // Off from midnight to 6 am every night: after its first nights, no night's first zero is a call.
    const nightly = Float64Array.from(v, (x, i) => (i % DAY < 6 * HOUR ? 0 : x));
    const scores = run(leaders(), nightly);
    const firstZeros = Array.from({ length: 14 }, (_, d) => scores[(d + 5) * DAY]);
    expect(firstZeros.filter((x) => x >= FAULT_SCORE)).toEqual([]);
    // An error count, at 0 but for half an hour at 5 every five days: its returns to 0 are no fault.
    const blips = [3, 8, 13, 18].map((d) => d * DAY + 100);
    const errors = Float64Array.from({ length: N }, (_, i) => (blips.some((b) => i >= b && i < b + 6) ? 5 : 0));
    const errorScores = run(leaders(), errors);
    expect(blips.map((b) => errorScores[b + 6])).toEqual([0, 0, 0, 0]);
  });

  it('reports a series that stops while stuck flat, after the flat run was called', () => {
    const v = series('walk');
    const stuck = Float64Array.from(v, (x, i) => (i >= 3000 ? v[2999] : x));
    expect(Math.max(...run(leaders(), stuck).subarray(3000, 3000 + FEW))).toBe(FAULT_SCORE);
    for (const hours of [0.5, 2, 6, 11, 23]) {
      const at = 3000 + Math.round(hours * HOUR);
      const stopped = Float64Array.from(stuck, (x, i) => (i >= at ? NaN : x));
      expect(firstReports(stopped, at)).toBe(FAULT_SCORE);
    }
  });

  it("reports the bounded ARTime's weighted score, or FAULT_SCORE where a gross fault is called, sample by sample", () => {
    const v = Float64Array.from(series('daily'), (x, i) => (i === 4000 ? 200 : i >= 5000 && i < 5010 ? NaN : x));
    const d = leaders();
    const calls: boolean[] = [];
    const both = Float64Array.from(v, (x, i) => {
      const score = d.update(T0 + i * STEP, x);
      calls.push(d.faultCall === true);
      return score;
    });
    const range = name === 'failureprophet' ? ARTIME_RANGE_SEEN : {};
    const artime = run(
      ArtimeDetector.bounded({ trainingPoints: PROBATION, maxCategories: PRODUCT_CATEGORIES, ...range }),
      v
    );
    const weighted = Array.from(artime, (a) => Math.min(1, LEADERS_ARTIME_WEIGHT * a));
    both.forEach((x, i) => expect([weighted[i], FAULT_SCORE]).toContain(x));
    // faultCall says which: ARTime's score alone where it is false, a fault call wherever the score is above it.
    both.forEach((x, i) => expect(calls[i] ? x : weighted[i]).toBe(calls[i] ? FAULT_SCORE : x));
    expect(calls[4000]).toBe(true);
    expect(calls.filter(Boolean).length).toBeLessThan(20);
    // The spike and the stop are called; failureprophet-v5's level views (not used) would score elsewhere too.
    expect(both[4000]).toBe(FAULT_SCORE);
    expect(Math.max(...both.subarray(5000, 5000 + FEW))).toBe(FAULT_SCORE);
    expect(both.some((x, i) => x > weighted[i] && i !== 4000)).toBe(true);
  });

  it('round-trips its state through JSON mid-probation and after, and continues identically', () => {
    const v = Float64Array.from(series('walk'), (x, i) => (i >= 4000 && i < 4010 ? NaN : i === 4500 ? 0 : x));
    for (const cut of [300, 3100, 4005]) {
      const a = leaders();
      const b = leaders();
      run(a, v.subarray(0, cut));
      run(b, v.subarray(0, cut));
      const c = restoreDetector(JSON.parse(JSON.stringify(b.toState())));
      expect(c.name).toBe(name);
      for (let i = cut; i < v.length; i++) {
        expect(c.update(T0 + i * STEP, v[i])).toBe(a.update(T0 + i * STEP, v[i]));
        expect(c.level).toBe(a.level);
      }
      expect(c.toState()).toEqual(a.toState());
    }
  });

  it('keeps its state within 4 KiB after 200,000 one-minute points with spikes', () => {
    const rng = new Random(1);
    const d = leaders();
    for (let i = 0; i < 200_000; i++) {
      const x = 50 + 20 * Math.sin((2 * Math.PI * i) / 1440) + 3 * (rng.next() - 0.5) + (i % 5000 === 0 ? 40 : 0);
      d.update(T0 + i * 60_000, x);
    }
    expect(JSON.stringify(d.toState()).length).toBeLessThanOrEqual(4096);
  });

  it('takes its defaults, and refuses a bad option or a corrupt state clearly', () => {
    expect(leaders().settings()).toMatchObject({
      artimeWeight: LEADERS_ARTIME_WEIGHT,
      maxCategories: PRODUCT_CATEGORIES,
      grossSpans: GROSS_SPANS,
    });
    expect(() => createDetector(name, { grossSpans: -1 })).toThrow(/grossSpans must be/);
    const state = leaders().toState();
    expect(FailureProphetLeadersDetector.fromState(state).settings()).toEqual(leaders().settings());
    expect(() => restoreDetector({ ...state, lastFault: 2 })).toThrow(
      new RegExp(`Corrupt detector state: ${name} lastFault`)
    );
    expect(() => restoreDetector({ ...state, range: { spans: 1, range: [2, 1] } })).toThrow(
      /Corrupt detector state: range: lo above hi/
    );
    expect(() => restoreDetector({ ...state, artime: createDetector('artime').toState() })).toThrow(
      /holds an ARTime of the wrong kind \(artime\)/
    );
    expect(() => restoreDetector({ ...state, runs: 'AAAA' })).toThrow(/Corrupt detector state/);
  });
});

describe("failureprophet (v9, det24's failureprophet-leaders-seen), its ARTime on the range seen", () => {
  /** A slow rise with noise after a flat probation: nearly every sample after it a new extreme, so the range keeps moving. */
  const rising = (n: number): Float64Array => {
    const rng = new Random(3);
    return Float64Array.from({ length: n }, (_, i) => 10 + 0.002 * Math.max(0, i - PROBATION) + (rng.next() - 0.5));
  };

  it('is failureprophet-leaders with artimeRescale: its ARTime on the range seen, not the clamped one', () => {
    const v = Float64Array.from(series('walk'), (x, i) => x + (i >= 3000 ? 0.004 * (i - 3000) : 0));
    const seen = run(createDetector('failureprophet', { trainingPoints: PROBATION }), v);
    const option = run(createDetector('failureprophet-leaders', { trainingPoints: PROBATION, artimeRescale: true }), v);
    const clamped = run(createDetector('failureprophet-leaders', { trainingPoints: PROBATION }), v);
    expect(option).toEqual(seen);
    expect(clamped).not.toEqual(seen);
  });

  it('round-trips its state while a move of the range waits to be re-expressed, and continues identically', () => {
    const v = rising(6000);
    for (const cut of [PROBATION + 1, 2001, 4507]) {
      const a = createDetector('failureprophet', { trainingPoints: PROBATION });
      const b = createDetector('failureprophet', { trainingPoints: PROBATION });
      run(a, v.subarray(0, cut));
      run(b, v.subarray(0, cut));
      const c = restoreDetector(JSON.parse(JSON.stringify(b.toState())));
      for (let i = cut; i < v.length; i++) {
        expect(c.update(T0 + i * STEP, v[i])).toBe(a.update(T0 + i * STEP, v[i]));
      }
      expect(c.toState()).toEqual(a.toState());
    }
  });

  it('as the pipeline builds it, says how long only fault calls alarm once it has learned, and calls a gross fault meanwhile', () => {
    // One-minute samples, no trainingPoints: the run views learn in hours, ARTime for 62.5 h of the series.
    const d = createDetector('failureprophet');
    const at = (i: number) => T0 + i * 60_000;
    const value = (i: number) => 50 + 5 * Math.sin(i / 60) + Math.sin(i * 7.3);
    let i = 0;
    for (; d.learning; i++) {
      d.update(at(i), value(i));
    }
    const left = d.faultsOnlySamplesLeft ?? 0;
    // ARTime's probation is 62.5 h of samples; about that much of it is still to come.
    expect(left).toBeGreaterThan(3_000);
    expect(left).toBeLessThan(3_750);
    for (let k = 0; k < 600; k++, i++) {
      expect(d.update(at(i), value(i))).toBe(0);
    }
    expect(d.faultsOnlySamplesLeft).toBe(left - 600);
    // A jump far beyond the range seen is called, though ARTime still learns.
    expect(d.update(at(i), 500)).toBe(1);
    for (i++; (d.faultsOnlySamplesLeft ?? 0) > 0; i++) {
      d.update(at(i), value(i));
    }
    expect(i).toBeLessThan(3_800);
  });

  it("learns for the learningMs it is given (a watch's short probation), then calls a gross fault; its state keeps it", () => {
    // 15 s samples: the default learns 2.5 h (600 steps); 20 minutes is 80 steps, 30 samples the floor.
    const at = (i: number) => T0 + i * 15_000;
    const rng = new Random(4);
    const value = Float64Array.from({ length: 700 }, () => 0.05 + 0.01 * rng.next());
    const learned = (d: StreamingDetector): number => {
      let i = 0;
      for (; d.learning; i++) {
        d.update(at(i), value[i]);
      }
      return i;
    };
    expect(learned(createDetector('failureprophet'))).toBe(601);
    expect(learned(createDetector('failureprophet', { learningMs: 20 * 60_000 }))).toBe(81);
    expect(learned(createDetector('failureprophet', { learningMs: 0 }))).toBe(31);

    const short = createDetector('failureprophet', { learningMs: 20 * 60_000 });
    const usual = createDetector('failureprophet');
    for (let i = 0; i < 90; i++) {
      short.update(at(i), value[i]);
      usual.update(at(i), value[i]);
    }
    const saved = JSON.parse(JSON.stringify(short.toState()));
    expect(saved.learningMs).toBe(20 * 60_000);
    expect(usual.toState()).not.toHaveProperty('learningMs');
    const restored = restoreDetector(saved);
    // A latency spike 15 times its range: called at once after the short learning, learned as normal during the long one.
    expect(short.update(at(90), 0.2)).toBe(FAULT_SCORE);
    expect(restored.update(at(90), 0.2)).toBe(FAULT_SCORE);
    expect(usual.update(at(90), 0.2)).toBe(0);
    expect(restored.toState()).toEqual(short.toState());
  });

  it("keeps its level up through ARTime's alarmed window and while a gross jump lasts, though each is reported once", () => {
    const v = Float64Array.from(series('daily'), (x, i) => (i >= 4000 ? 500 : x));
    const d = createDetector('failureprophet', { trainingPoints: PROBATION });
    const scores: number[] = [];
    const levels: number[] = [];
    v.forEach((x, i) => {
      scores.push(d.update(T0 + i * STEP, x));
      levels.push(d.level ?? NaN);
    });
    expect(levels.every((l, i) => l >= scores[i])).toBe(true);
    // ARTime judges windows of 7 samples at this probation (750 / (8 x 13)): its alarm (a weighted
    // score below a fault call's 1) holds for the window, the samples after it reporting nothing.
    const artimeAlarm = scores.findIndex((x, i) => i >= PROBATION && x >= RECOMMENDED_THRESHOLD && x < 1);
    expect(artimeAlarm).toBeGreaterThan(0);
    expect(Math.max(...scores.slice(artimeAlarm + 1, artimeAlarm + 7))).toBeLessThan(RECOMMENDED_THRESHOLD);
    expect(Math.min(...levels.slice(artimeAlarm, artimeAlarm + 7))).toBeGreaterThanOrEqual(RECOMMENDED_THRESHOLD);
    // The jump is called at once (and ARTime reports its window); then nothing is reported while
    // the value stays 10 times beyond the band, and the level stays up.
    expect(scores[4000]).toBe(1);
    expect(Math.max(...scores.slice(4010, 4100))).toBeLessThan(RECOMMENDED_THRESHOLD);
    expect(Math.min(...levels.slice(4000, 4100))).toBeGreaterThanOrEqual(RECOMMENDED_THRESHOLD);
  });

  it('reads a state saved before it held the window score, and keeps the held score through a save', () => {
    const v = series('walk');
    const d = createDetector('failureprophet', { trainingPoints: PROBATION });
    v.subarray(0, 3000).forEach((x, i) => d.update(T0 + i * STEP, x));
    const state = d.toState();
    expect(restoreDetector(JSON.parse(JSON.stringify(state))).level).toBe(d.level);
    const { heldArtime, ...before } = state;
    expect(typeof heldArtime).toBe('number');
    expect(() => restoreDetector(before)).not.toThrow();
    expect(() => restoreDetector({ ...state, heldArtime: 2 })).toThrow(/heldArtime/);
  });

  it.each([
    ['every sample is a new extreme', (i: number): number => 10 + 0.001 * i],
    ['it drops to 0 every 997 samples', (i: number): number => (i % 997 === 0 ? 0 : 10 + 0.001 * i)],
  ])('keeps its state within 4 KiB after 200,000 points of a rise where %s', (_, value) => {
    const d = createDetector('failureprophet', { trainingPoints: PROBATION });
    for (let i = 0; i < 200_000; i++) {
      d.update(T0 + i * 60_000, value(i));
    }
    expect(JSON.stringify(d.toState()).length).toBeLessThanOrEqual(4096);
  });
});

describe('GrossRangeView', () => {
  const MIN = 60_000;

  it('calls a value beyond the range seen by more than `spans` widths, once per level, never while learning', () => {
    const g = new GrossRangeView(1);
    expect([10, 20, 45].map((x, i) => g.call(i * MIN, x, true))).toEqual([false, false, false]);
    // Range [10, 45], width 35: beyond 80 or below -25 is gross.
    expect([80, 79, -24].map((x, i) => g.call((3 + i) * MIN, x, false))).toEqual([false, false, false]);
    expect(g.call(6 * MIN, 200, false)).toBe(true);
    expect(g.call(7 * MIN, 200, false)).toBe(false);
    expect(g.call(8 * MIN, NaN, false)).toBe(false);
    expect(g.toState()).toEqual({ spans: 1, range: [-24, 200] });
  });

  it('calls a zero run on a series never across 0 unless it began zero runs twice lately or is mostly at 0', () => {
    const g = new GrossRangeView(4);
    const DAY = 86_400_000;
    [5, 6, 7].forEach((x, i) => g.call(i * MIN, x, true));
    expect(g.call(3 * MIN, 0, false)).toBe(true);
    expect(g.call(4 * MIN, 0, false)).toBe(false);
    expect(g.call(5 * MIN, NaN, false)).toBe(false);
    expect(g.call(6 * MIN, 0, false)).toBe(false);
    expect(g.call(7 * MIN, 6, false)).toBe(false);
    // Down again a day later: one run begun lately is not a habit; a third a day after that is.
    expect(g.call(DAY, 0, false)).toBe(true);
    expect(g.call(DAY + MIN, 6, false)).toBe(false);
    expect(g.call(2 * DAY, 0, false)).toBe(false);
    expect(g.call(2 * DAY + MIN, 6, false)).toBe(false);
    // Forgotten as the run statistics forget: after three of their memories, a zero run is news again.
    expect(g.call(2 * DAY + 3 * RUN_MEMORY_MS, 0, false)).toBe(true);
    const across = new GrossRangeView(4);
    [-1, 1].forEach((x, i) => across.call(i * MIN, x, true));
    expect(across.call(2 * MIN, 0, false)).toBe(false);
    // An error count: at 0 but for a blip a week; its return to 0 is no fault, though runs begin rarely.
    const errors = new GrossRangeView(4);
    errors.call(0, 0, true);
    for (let week = 1; week <= 3; week++) {
      expect(errors.call(7 * week * DAY - MIN, 0, false)).toBe(false);
      expect(errors.call(7 * week * DAY, 5, false)).toBe(week === 1);
      expect(errors.call(7 * week * DAY + 30 * MIN, 0, false)).toBe(false);
    }
  });

  it('keeps its zero runs in its state; a state saved without them, by a view that saw 0, takes 0 as habit for a while', () => {
    const g = new GrossRangeView(4);
    [5, 0, 0].forEach((x, i) => g.call(i * MIN, x, true));
    // One run begun at 1 min; a minute spent at 0; both forgotten as of the last value.
    const kept = Math.exp(-MIN / RUN_MEMORY_MS);
    expect(g.toState()).toEqual({
      spans: 4,
      range: [0, 5],
      zero: { at: 2 * MIN, share: 1 - kept, runs: kept, now: true },
    });
    const resumed = GrossRangeView.fromState(JSON.parse(JSON.stringify(g.toState())), 'range');
    // Still in the run it began: not a new one; the next run, a day on, is.
    expect(resumed.call(3 * MIN, 0, false)).toBe(false);
    expect(resumed.call(4 * MIN, 5, false)).toBe(false);
    expect(resumed.call(86_400_000, 0, false)).toBe(true);
    // Saved before: taken as at 0 until it has been away from 0 for a while (as that view called no zero).
    const older = GrossRangeView.fromState({ spans: 4, range: [0, 6] }, 'range');
    expect(older.toState()).toEqual({ spans: 4, range: [0, 6] });
    expect(older.call(0, 5, false)).toBe(false);
    expect(older.call(MIN, 0, false)).toBe(false);
    expect(older.call(2 * MIN, 5, false)).toBe(false);
    expect(older.call(2 * MIN + RUN_MEMORY_MS, 0, false)).toBe(true);
    expect(GrossRangeView.fromState({ spans: 4, range: [2, 6] }, 'range').call(0, 0, false)).toBe(true);
    for (const zero of [
      { at: 0, share: 0, runs: -1, now: false },
      { at: 0, share: 2, runs: 1, now: false },
      { at: 0, runs: 1, now: false },
      'x',
    ]) {
      expect(() => GrossRangeView.fromState({ spans: 4, range: [0, 6], zero }, 'range')).toThrow(
        /Corrupt detector state: range/
      );
    }
  });

  it('refuses a negative width or a corrupt stored range', () => {
    expect(() => new GrossRangeView(-1)).toThrow(/grossSpans must be a finite number >= 0/);
    expect(() => GrossRangeView.fromState({ spans: 1, range: [1, 'x'] }, 'range')).toThrow(
      /Corrupt detector state: range/
    );
    expect(GrossRangeView.fromState({ spans: 1, range: null }, 'range').toState()).toEqual({ spans: 1, range: null });
  });
});
