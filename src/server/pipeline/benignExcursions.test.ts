import type { Anomaly } from '../../contract/pipeline';
import type { StreamingDetector } from '../../detection';
import { BENIGN_MARGIN, BenignMeasure, KEPT_EXCURSIONS, type BenignExcursion } from './benignExcursions';
import { SignalModel } from './signal';
import { verdictOf, type ScoredStep } from './stepVerdict';
import { decodeState, encodeState } from './store/stateCodec';
import { TargetModel } from './targetModel';
import { jobTarget, testSettings } from './testTargets';

const T = 1_000_000;
const THRESHOLD = 0.5;

/** A detector whose level the test sets (the verdict reads only `level`, `missingRunLevel` and `faultCall` of it). */
function detector(level: number, faultCall?: boolean): StreamingDetector {
  return {
    name: 'fixed',
    update: () => 0,
    expected: NaN,
    lower: NaN,
    upper: NaN,
    level,
    faultCall,
    toState: () => ({ format: 'failureprophet.detector', name: 'fixed', version: 1 }),
  };
}

/** A signal as the live loop leaves it at step T: its value, its band [90, 110] around 100, its score and level. */
function signal(name: string, value: number, score: number, level = score, faultCall?: boolean): SignalModel {
  const s = new SignalModel({ name, kind: 'other' }, detector(level, faultCall), undefined, 0);
  Object.assign(s, {
    value,
    expected: 100,
    lower: 90,
    upper: 110,
    score,
    lastAt: T,
    direction: value > 110 ? 'above' : value < 90 ? 'below' : 'none',
  });
  return s;
}

/** The signal as the live loop leaves it once its baseline moved to `expected`: its band [expected ± 10]. */
function movedTo(expected: number, s: SignalModel): SignalModel {
  const lower = expected - 10;
  const upper = expected + 10;
  return Object.assign(s, {
    expected,
    lower,
    upper,
    direction: s.value > upper ? 'above' : s.value < lower ? 'below' : 'none',
  });
}

/** The operator called a rise of `x` to 150 (50 above the expected 100) benign. */
const ABOVE_150: BenignExcursion = { anomalyId: 1, signal: 'x', side: 'above', extreme: 150, departure: 50 };

function step(signals: SignalModel[], extra: Partial<ScoredStep> = {}): ScoredStep {
  return {
    t: T,
    signals,
    threshold: THRESHOLD,
    score: Math.max(0, ...signals.map((s) => s.score)),
    ttf: null,
    open: false,
    benign: [ABOVE_150],
    ...extra,
  };
}

describe('the verdict of a step with benign excursions', () => {
  it('leaves unalarmed a signal on a benign side departing no further than its excursion and margin', () => {
    for (const value of [120, 150, 150 + 0.99 * BENIGN_MARGIN * 50]) {
      const v = verdictOf(step([signal('x', value, 1)]));
      expect(v).toEqual({ severity: null, failureModel: null, persists: false, benignRun: true });
    }
    // Without the operator's word the same step alarms (saturated score, as most are).
    expect(verdictOf(step([signal('x', 150, 1)], { benign: [] })).alarm).toMatchObject({ signals: ['x'] });
  });

  it('measures a step from the value expected now: a larger departure alarms below the old extreme', () => {
    // The baseline dropped to 60: 140 is under the benign 150, yet 80 above what is expected now.
    expect(verdictOf(step([movedTo(60, signal('x', 140, 1))])).alarm).toMatchObject({
      signals: ['x'],
      direction: 'above',
    });
    // The same departure as the benign rise, or within its margin, stays benign there.
    for (const value of [110, 60 + 50 * (1 + 0.99 * BENIGN_MARGIN)]) {
      expect(verdictOf(step([movedTo(60, signal('x', value, 1))])).alarm).toBeUndefined();
    }
  });

  it('leaves the benign excursion unalarmed above the old extreme once the baseline rose', () => {
    // Traffic grew: expected 200, and the nightly job departs 50 again, to 250.
    expect(verdictOf(step([movedTo(200, signal('x', 250, 1))]))).toMatchObject({ benignRun: true, persists: false });
    expect(verdictOf(step([movedTo(200, signal('x', 250, 1))])).alarm).toBeUndefined();
    expect(verdictOf(step([movedTo(200, signal('x', 200 + 50 * (1 + 1.01 * BENIGN_MARGIN), 1))])).alarm).toMatchObject({
      signals: ['x'],
    });
  });

  it('alarms when the detector expects nothing: no departure to compare', () => {
    const unknown = signal('x', 150, 1);
    unknown.expected = NaN;
    expect(verdictOf(step([unknown])).alarm).toMatchObject({ signals: ['x'], direction: 'above' });
  });

  it("alarms on a gross-fault call within the benign range: a value stuck flat is not the operator's spike", () => {
    // Stuck at 130, inside the benign rise's reach: the detector's flat-run call, not a shape, scores it.
    expect(verdictOf(step([signal('x', 130, 1, 1, true)])).alarm).toMatchObject({ signals: ['x'] });
    expect(verdictOf(step([signal('x', 130, 1, 1, false)])).alarm).toBeUndefined();
  });

  it('alarms as before beyond the margin, on the other side, on another signal, for peers, a forecast or a stop', () => {
    const beyond = 150 + 1.01 * BENIGN_MARGIN * 50;
    expect(verdictOf(step([signal('x', beyond, 1)])).alarm).toMatchObject({ signals: ['x'], direction: 'above' });
    expect(verdictOf(step([signal('x', 60, 1)])).alarm).toMatchObject({ signals: ['x'], direction: 'below' });
    expect(verdictOf(step([signal('x', 150, 1), signal('y', 150, 1)])).alarm?.signals).toEqual(['x', 'y']);
    expect(verdictOf(step([signal('x', 150, 1)], { peer: { score: 0.9, signal: 'x' } })).alarm?.signals).toEqual([
      'x',
      'x (vs peers)',
    ]);
    const ttf = {
      signal: 'x',
      limit: 200,
      direction: 'above' as const,
      seconds: 600,
      lowerSeconds: 300,
      upperSeconds: 900,
      fromMs: T,
    };
    expect(verdictOf(step([signal('x', 150, 1)], { ttf })).alarm?.signals).toEqual(['x', 'x (limit forecast)']);
    const stopped = signal('up', NaN, 1);
    Object.assign(stopped, { lastAt: T - 60_000, missingAt: T });
    expect(verdictOf(step([signal('x', 150, 1), stopped])).alarm?.signals).toEqual(['x', 'up (stopped)']);
  });

  it('alarms when an excursion left unalarmed as benign grows past it, though its detector reported it already', () => {
    // Reported at its first step (score 1), then only its level says it is abnormal.
    const first = verdictOf(step([signal('x', 140, 1)]));
    expect(first.benignRun).toBe(true);
    const still = verdictOf(step([signal('x', 155, 0.1, 0.8)], { benignRun: first.benignRun }));
    expect(still).toMatchObject({ persists: false, benignRun: true });
    expect(still.alarm).toBeUndefined();
    const grown = verdictOf(step([signal('x', 170, 0.1, 0.8)], { benignRun: still.benignRun }));
    expect(grown.alarm).toMatchObject({ score: 0.8, signals: ['x'], direction: 'above', peak: { value: 170 } });
    expect(grown.benignRun).toBeFalsy();
    // Outside such a run, a score under the threshold is the detector's own call: nothing opens.
    expect(verdictOf(step([signal('x', 170, 0.1, 0.8)])).alarm).toBeUndefined();
    // Back to normal, the run ends.
    expect(verdictOf(step([signal('x', 100, 0, 0)], { benignRun: true })).benignRun).toBe(false);
  });
});

/** An anomaly of target `w{job="j"}` as the store lists it. */
function anomaly(id: number, start: number, end: number, extra: Partial<Anomaly> = {}): Anomaly {
  return {
    id,
    target: 'w{job="j"}',
    watch: 'w',
    labels: { job: 'j' },
    start,
    end,
    peakScore: 1,
    severity: 'high',
    failureModel: 'resource_exhaustion',
    state: 'closed',
    signals: ['x'],
    direction: 'above',
    reasons: [],
    feedback: [],
    ...extra,
  };
}

describe('BenignMeasure', () => {
  it('keeps how far each signal an anomaly moved went during it, on its side, from the replayed samples', () => {
    const measure = new BenignMeasure(
      [
        anomaly(7, 10, 12, {
          signals: ['x', 'y', 'x (vs peers)', 'z (stopped)'],
          peak: { at: 11, signal: 'x', value: 0, expected: 0 },
        }),
      ],
      ['x', 'y', 'z']
    );
    const replay: Array<[string, number, number, number]> = [
      ['x', 9, 500, 100], // before the anomaly
      ['x', 10, 130, 100],
      ['x', 11, 160, 101],
      ['x', 12, 90, 102], // lower, but the operator saw x above
      ['y', 10, 40, 50],
      ['y', 11, 20, 48], // y went down further than it went up
      ['y', 12, 55, 50],
      ['z', 11, 999, 1], // named only as stopped: no band excursion
      ['x', 13, 900, 100], // after it
    ];
    for (const [name, t, value, expected] of replay) {
      measure.observe(name, t, value, expected);
    }
    expect(measure.excursions()).toEqual([
      { anomalyId: 7, signal: 'x', side: 'above', extreme: 160, departure: 59 },
      { anomalyId: 7, signal: 'y', side: 'below', extreme: 20, departure: 28 },
    ]);
  });

  it('keeps the step that departed furthest from its expected value, not the highest value', () => {
    // The expected value followed the rise: 155 departs less than 150 did a step before.
    const measure = new BenignMeasure([anomaly(4, 10, 11)], ['x']);
    measure.observe('x', 10, 150, 100);
    measure.observe('x', 11, 155, 130);
    expect(measure.excursions()).toEqual([{ anomalyId: 4, signal: 'x', side: 'above', extreme: 150, departure: 50 }]);
  });

  it('keeps nothing of a side the signal never departed on, nor of samples its detector expected nothing of', () => {
    // Told above, yet x stayed under its expected value; y had no expected value yet.
    const measure = new BenignMeasure([anomaly(5, 10, 11, { signals: ['x', 'y'] })], ['x', 'y']);
    measure.observe('x', 10, 90, 100);
    measure.observe('x', 11, 95, 100);
    measure.observe('y', 10, 500, NaN);
    expect(measure.excursions()).toEqual([]);
  });

  it('keeps per signal and side the one that allows furthest, then at most a few, those the newest anomalies moved', () => {
    // Newest first, as retraining lists them.
    const repeated = new BenignMeasure([anomaly(2, 20, 20), anomaly(1, 10, 10)], ['x']);
    repeated.observe('x', 10, 300, 100);
    repeated.observe('x', 20, 200, 100);
    expect(repeated.excursions()).toEqual([{ anomalyId: 1, signal: 'x', side: 'above', extreme: 300, departure: 200 }]);

    const signals = Array.from({ length: KEPT_EXCURSIONS + 2 }, (_, i) => `s${i}`);
    const many = new BenignMeasure(
      [anomaly(3, 30, 30, { signals: signals.slice(1) }), anomaly(1, 10, 10, { signals })],
      signals
    );
    for (const name of signals) {
      many.observe(name, 10, 300, 100);
      many.observe(name, 30, 150, 100);
    }
    const kept = many.excursions();
    expect(kept).toHaveLength(KEPT_EXCURSIONS);
    // Anomaly 1 went furthest on every signal; s0 only it moved, not the newest: the cut leaves s0 out.
    expect(kept.map((e) => e.signal)).not.toContain('s0');
    expect(kept.every((e) => e.anomalyId === 1 && e.extreme === 300)).toBe(true);
  });
});

describe('benign excursions in a target’s stored state', () => {
  const settings = testSettings();
  const learned = (): TargetModel => {
    const t = jobTarget('j', settings, THRESHOLD);
    t.signalIndex({ name: 'x', kind: 'other' });
    t.step(T, [1]);
    return t;
  };

  it('are kept across a checkpoint', () => {
    const t = learned();
    t.benign = [ABOVE_150];
    const restored = TargetModel.fromState(t.id, 'w', t.labels, null, settings, decodeState(encodeState(t.toState())));
    expect(restored.benign).toEqual([ABOVE_150]);
  });

  it('are none in a state stored before them, and a malformed one is refused', () => {
    const state = learned().toState();
    expect(state).not.toHaveProperty('benign');
    expect(
      TargetModel.fromState('w{job="j"}', 'w', { job: 'j' }, null, settings, decodeState(encodeState(state))).benign
    ).toEqual([]);
    expect(() =>
      decodeState(encodeState({ ...state, benign: [{ ...ABOVE_150, side: 'sideways' as 'above' }] }))
    ).toThrow(/field benign\.0\.side/);
  });
});
