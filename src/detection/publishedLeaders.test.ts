import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describeIfNab, NAB_DIR } from '../../test/harness/nab';
import { listDataFiles, parseTimestamp, readSeries } from '../../tools/nab/nabFiles';
import { probationLength, scoreCorpus } from '../../tools/nab/scorer';
import { CADOSE_RANGE_ESTIMATE } from './cadOse';
import { createDetector, restoreDetector } from './index';
import type { InputRange } from './inputRange';
import type { DetectorName } from './options';
import { Random } from './random';
import { outputSeries } from './testOutputs';

/** NAB's published leaders: their alarm level (the score that is their own alarm) and the share of alarms tolerated on a stable series. */
const LEADERS = [
  { name: 'cadose', alarm: 0.75, quietShare: 0 },
  { name: 'cadose-bounded', alarm: 0.75, quietShare: 0 },
  { name: 'knncad', alarm: 0.9965, quietShare: 0.01 },
  { name: 'relativeentropy', alarm: 1, quietShare: 0 },
] as const;
const N = 3000;
const AT = 2000;
const PROBATION = 750;

/** 5-minute samples of a daily-like cycle (period 100) with small noise, and a spike or a level shift at AT. */
function periodic(kind: 'stable' | 'spike' | 'shift'): { t: Float64Array; v: Float64Array } {
  const rng = new Random(3);
  const t = new Float64Array(N);
  const v = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    t[i] = Date.UTC(2024, 0, 1) + i * 300_000;
    v[i] = 50 + 10 * Math.sin((2 * Math.PI * i) / 100) + (rng.next() - 0.5);
    if ((kind === 'spike' && i === AT) || (kind === 'shift' && i >= AT)) {
      v[i] += kind === 'spike' ? 60 : 30;
    }
  }
  return { t, v };
}

function rangeOf(v: Float64Array): InputRange {
  return { inputMin: Math.min(...v), inputMax: Math.max(...v) };
}

function scores(name: DetectorName, s: { t: Float64Array; v: Float64Array }, range?: InputRange): Float64Array {
  const d = createDetector(name, { trainingPoints: PROBATION }, range);
  return Float64Array.from(s.v, (x, i) => d.update(s.t[i], x));
}

describe.each(LEADERS)('$name', ({ name, alarm, quietShare }) => {
  describe.each([false, true])('with the min/max hint: %s', (hinted) => {
    const run = (kind: 'stable' | 'spike' | 'shift') => {
      const s = periodic(kind);
      return scores(name, s, hinted ? rangeOf(s.v) : undefined);
    };

    it('scores stay in [0, 1] and a stable periodic series raises (almost) no alarm after the probation', () => {
      const s = run('stable');
      expect(s.every((x) => x >= 0 && x <= 1)).toBe(true);
      const alarms = Array.from(s.subarray(PROBATION)).filter((x) => x >= alarm).length;
      expect(alarms).toBeLessThanOrEqual(quietShare * (N - PROBATION));
    });

    it('alarms on a spike and on a level shift at their first sample, having been quiet just before', () => {
      for (const kind of ['spike', 'shift'] as const) {
        const s = run(kind);
        expect(s[AT]).toBeGreaterThanOrEqual(alarm);
        expect(Math.max(...s.subarray(AT - 50, AT))).toBeLessThan(alarm);
      }
    });

    it('round-trips its state through JSON at any point and continues with identical scores', () => {
      const s = periodic('spike');
      const range = hinted ? rangeOf(s.v) : undefined;
      for (const cut of [10, 1600, AT + 1]) {
        const a = createDetector(name, { trainingPoints: PROBATION }, range);
        for (let i = 0; i < cut; i++) {
          a.update(s.t[i], s.v[i]);
        }
        const b = restoreDetector(JSON.parse(JSON.stringify(a.toState())));
        expect(b.name).toBe(name);
        for (let i = cut; i < Math.min(N, cut + 700); i++) {
          expect(b.update(s.t[i], s.v[i])).toBe(a.update(s.t[i], s.v[i]));
        }
      }
    });
  });

  it('treats NaN, infinite and out-of-order samples as missing: last score returned, state untouched', () => {
    const s = periodic('spike');
    const d = createDetector(name, { trainingPoints: PROBATION });
    let last = 0;
    for (let i = 0; i <= AT; i++) {
      last = d.update(s.t[i], s.v[i]);
    }
    const before = JSON.stringify(d.toState());
    expect(d.update(s.t[AT] + 1000, NaN)).toBe(last);
    expect(d.update(s.t[AT] + 2000, Infinity)).toBe(last);
    expect(d.update(s.t[AT - 5], 50)).toBe(last);
    expect(JSON.stringify(d.toState())).toBe(before);
  });

  it('refuses an incompatible or corrupt state clearly', () => {
    const d = createDetector(name, { trainingPoints: PROBATION });
    const s = periodic('stable');
    for (let i = 0; i < 900; i++) {
      d.update(s.t[i], s.v[i]);
    }
    const state = d.toState();
    expect(() => restoreDetector({ ...state, version: 999 })).toThrow(/version 999/);
    expect(() => restoreDetector({ ...state, lastScore: 'x' })).toThrow(/lastScore/);
    const broken = Object.keys(state).find((k) => Array.isArray(state[k]) || typeof state[k] === 'object');
    expect(() => restoreDetector({ ...state, [broken as string]: 'x' })).toThrow(/Corrupt detector state/);
  });
});

describe('the NAB min/max hint', () => {
  it('is refused when not a finite range', () => {
    expect(() => createDetector('cadose', {}, { inputMin: 2, inputMax: 1 })).toThrow(/inputMin <= inputMax/);
    expect(() => createDetector('relativeentropy', {}, { inputMin: NaN, inputMax: 1 })).toThrow(/finite/);
  });

  it('changes what the range-quantising detectors score, and nothing for knncad (it uses no range)', () => {
    const s = periodic('shift');
    const range = rangeOf(s.v);
    for (const name of ['cadose', 'relativeentropy'] as const) {
      expect(Array.from(scores(name, s, range))).not.toEqual(Array.from(scores(name, s)));
    }
    expect(Array.from(scores('knncad', s, range))).toEqual(Array.from(scores('knncad', s)));
  });
});

describe('cadose without the hint', () => {
  it('buffers the probation, then scores exactly as if told the probation range widened by its estimate', () => {
    const s = periodic('shift');
    const lo = Math.min(...s.v.subarray(0, PROBATION));
    const hi = Math.max(...s.v.subarray(0, PROBATION));
    const pad = CADOSE_RANGE_ESTIMATE.margin * (hi - lo);
    const d = createDetector('cadose', { trainingPoints: PROBATION });
    const online = Float64Array.from(s.v, (x, i) => {
      const score = d.update(s.t[i], x);
      expect(d.learning).toBe(i < PROBATION - 1);
      return score;
    });
    const told = scores('cadose', s, { inputMin: lo - pad, inputMax: hi + pad });
    expect(Math.max(...online.subarray(0, PROBATION))).toBe(0);
    // Equal until the shift: no value left the settled range before it.
    expect(Array.from(online.subarray(PROBATION, AT))).toEqual(Array.from(told.subarray(PROBATION, AT)));
    expect(online[AT]).toBeGreaterThanOrEqual(0.75);
  });
});

/** sha256 of cadose's scores on outputSeries() (trainingPoints 300), with each series' min/max as the hint or without it. */
function cadoseDigest(hinted: boolean): string {
  const hash = createHash('sha256');
  for (const s of outputSeries()) {
    const finite = s.v.filter(Number.isFinite);
    const range = hinted ? { inputMin: Math.min(...finite), inputMax: Math.max(...finite) } : undefined;
    const d = createDetector('cadose', { trainingPoints: 300 }, range);
    hash.update(new Uint8Array(Float64Array.from(s.v, (v, i) => d.update(s.t[i], v)).buffer));
  }
  return hash.digest('hex');
}

describe('cadose scores exactly as the port measured in RESULTS.md (before the bounded memory)', () => {
  it.each([
    [true, '9e23c0f2c55a7aa61bc3781019ead8a0b55982255ad2030bdc010255763f1c9a'],
    [false, '7f851017a492980ffff4a997f8c03219e7d30a0c499b7ad77a6ff1a86a9637a8'],
  ])('with the min/max hint: %s', (hinted, digest) => {
    expect(cadoseDigest(hinted)).toBe(digest);
  });
});

describeIfNab('relativeentropy on the NAB development split', () => {
  it("scores NAB's published figure with the min/max hint (45.27 standard), as the reference implementation", () => {
    const windows = JSON.parse(readFileSync(join(NAB_DIR, 'windows.json'), 'utf8'));
    const files = listDataFiles(join(NAB_DIR, 'data')).map((rel) => {
      const s = readSeries(join(NAB_DIR, 'data', rel));
      const d = createDetector(
        'relativeentropy',
        { trainingPoints: probationLength(s.values.length) },
        rangeOf(s.values)
      );
      return {
        name: rel,
        timestamps: s.timestamps,
        scores: Float64Array.from(s.values, (v, i) => d.update(s.timestamps[i], v)),
        windows: windows[rel].map(([a, b]: [string, string]) => [parseTimestamp(a), parseTimestamp(b)]),
      };
    });
    expect(scoreCorpus(files, { tpWeight: 1, fnWeight: 1, fpWeight: 0.11 }).score).toBeCloseTo(45.27, 2);
  });
});
