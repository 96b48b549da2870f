import { SCORE_HISTORY_POINTS } from '../../contract/pipeline';
import { TargetModel, type TargetSettings } from './targetModel';
import { jobTarget, testSettings } from './testTargets';
import { downsampleMax } from './targets';

const STEP = 60_000;
const settings = testSettings({ stepMs: STEP, detailPoints: 240 });

function scored(values: number[]): TargetModel {
  const model = jobTarget('a', settings, 0.5);
  model.signalIndex({ name: 'latency', kind: 'latency' });
  values.forEach((v, i) => model.step(i * STEP, [v]));
  return model;
}

describe('downsampleMax', () => {
  it('keeps the highest point of each slice at its own time, in time order', () => {
    const points: Array<[number, number]> = Array.from({ length: 600 }, (_, i) => [i * 1000, 0.1]);
    points[437] = [437_000, 0.93];
    const out = downsampleMax(points, 60);
    expect(out).toHaveLength(60);
    expect(out).toContainEqual([437_000, 0.93]);
    expect(Math.max(...out.map((p) => p[1]))).toBe(0.93);
    expect(out.map((p) => p[0])).toEqual([...out.map((p) => p[0])].sort((a, b) => a - b));
  });

  it('leaves a series already short enough as it is', () => {
    const points: Array<[number, number]> = [
      [0, 0.2],
      [1000, 0.4],
    ];
    expect(downsampleMax(points, 60)).toBe(points);
  });
});

describe('TargetModel.scoreHistory', () => {
  it('gives the recent scores oldest first, at most 60 points, with the spike kept', () => {
    const values = Array.from({ length: 300 }, (_, i) => 10 + Math.sin(i / 5));
    values[250] = 100;
    const model = scored(values);
    const history = model.scoreHistory();
    expect(history.length).toBeLessThanOrEqual(SCORE_HISTORY_POINTS);
    // The ring keeps the last 240 steps: steps 60..299.
    expect(history[0][0]).toBe(60 * STEP);
    expect(history[history.length - 1][0]).toBeGreaterThan(290 * STEP);
    const times = history.map((p) => p[0]);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const full = model.recent().latency.map((p) => p.score);
    const peak = history.find((p) => p[0] === 250 * STEP);
    expect(peak?.[1]).toBeCloseTo(full[250 - 60], 4);
    expect(Math.max(...history.map((p) => p[1]))).toBeCloseTo(Math.max(...full), 4);
    expect(peak![1]).toBeGreaterThan(0.5);
  });

  it('is empty before the first step', () => {
    expect(scored([]).scoreHistory()).toEqual([]);
  });
});

describe('TargetModel: learning and time to failure', () => {
  const HOUR = 3_600_000;
  const memorySettings: TargetSettings = { ...settings, stepMs: 300_000, probation: 24, horizonSteps: 288 };

  it('reports how far learning is and gives no time to failure until it is done', () => {
    const model = jobTarget('a', memorySettings, 0.99);
    model.signalIndex({ name: 'memory', kind: 'memory', limits: { above: 0.6 } });
    // A steep rise from the first minute: 16% going up 10% an hour.
    const at = (i: number) => 0.16 + (0.1 * i * 300_000) / HOUR;
    for (let i = 0; i < 12; i++) {
      model.step(i * 300_000, [at(i)]);
    }
    expect(model.learning).toBe(true);
    expect(model.learningProgress).toBeCloseTo(0.5, 9);
    expect(model.learningSecondsLeft).toBe(12 * 300);
    expect(model.ttf).toBeNull();
    expect(model.takeChanges().predictions).toEqual([]);
    for (let i = 12; i < 40; i++) {
      model.step(i * 300_000, [at(i)]);
    }
    expect(model.learning).toBe(false);
    expect(model.learningProgress).toBe(1);
    expect(model.learningSecondsLeft).toBe(0);
    // 3.3 h of a clean rise at 0.485, about 1.1 h from 0.6: now a justified prediction, with its interval.
    expect(model.ttf).toMatchObject({ signal: 'memory', limit: 0.6, direction: 'above' });
    expect(model.ttf!.lowerSeconds).toBeLessThanOrEqual(model.ttf!.seconds);
    expect(model.takeChanges().predictions.length).toBeGreaterThan(0);
  });
});

describe('TargetModel.relearn', () => {
  const at = (i: number) => i * STEP;
  const level = (i: number) => 10 + Math.sin(i / 5);

  /**
   * A target whose steps were a day ahead (1440 steps): it learned 100 steps there, then a spike
   * opened an anomaly; stored and restored. Its detector's last step is a day ahead too.
   */
  function restoredAhead(): TargetModel {
    const model = jobTarget('a', { ...settings, probation: 20 }, 0.5);
    model.signalIndex({ name: 'latency', kind: 'latency' });
    for (let i = 0; i < 100; i++) {
      model.step(at(1440 + i), [level(i)]);
    }
    model.step(at(1540), [100]);
    expect(model.open).not.toBeNull();
    model.takeChanges();
    model.modelVersion = 3;
    return TargetModel.fromState(model.id, model.watch, model.labels, model.object, model.settings, model.toState());
  }

  it('a target restored with a last step ahead skips every step up to it', () => {
    const model = restoredAhead();
    model.step(at(101), [500]);
    expect(model.seenAt).toBe(at(1540));
    expect(model.steps).toBe(101);
  });

  it('forgets what it learned and where it stood, closes an anomaly from after the replay, and scores the next steps', () => {
    const model = restoredAhead();
    const open = model.open;
    model.relearn(at(100));
    expect(model).toMatchObject({ steps: 0, samples: 0, modelVersion: 0, open: null, learning: true, score: 0 });
    expect(model.seenAt).toBeNaN();
    expect(model.lastAt).toBeNaN();
    expect(model.recent()).toEqual({ latency: [] });
    expect(model.signals[0]).toMatchObject({ value: NaN, lastAt: NaN, score: 0, direction: 'none' });
    // It started a day after the steps replayed: they cannot find it again.
    expect(model.takeChanges().anomalies).toEqual([{ ...open, state: 'closed' }]);

    // Learns again from the real steps: its fresh detector has no step ahead either.
    for (let i = 0; i < 60; i++) {
      model.step(at(101 + i), [level(i)]);
    }
    expect(model).toMatchObject({ steps: 60, learning: false, lastAt: at(160), firstAt: at(101) });
    expect(model.recent().latency).toHaveLength(60);
    expect(model.signals[0].expected).toBeCloseTo(10, 0);
    model.step(at(161), [100]);
    expect(model.score).toBeGreaterThan(0.5);
    expect(model.open).toMatchObject({ start: at(161), state: 'open' });
  });

  /** A target that learned 100 steps, then opened an anomaly at step 100 that is still open at 102; restored. */
  function restoredOpen(): TargetModel {
    const model = jobTarget('a', { ...settings, probation: 20, closeAfter: 2 }, 0.5);
    model.signalIndex({ name: 'latency', kind: 'latency' });
    for (let i = 0; i < 100; i++) {
      model.step(at(i), [level(i)]);
    }
    for (let i = 100; i <= 102; i++) {
      model.step(at(i), [100]);
    }
    expect(model.open).toMatchObject({ start: at(100), end: at(102), state: 'open' });
    model.takeChanges();
    return TargetModel.fromState(model.id, model.watch, model.labels, model.object, model.settings, model.toState());
  }

  it('continues the held anomaly when the replay alarms within it, as the same anomaly, not a new one', () => {
    const model = restoredOpen();
    const held = model.open!;
    model.relearn(at(103));
    // Stored with the state: a restart goes on waiting for it.
    const restored = TargetModel.fromState(
      model.id,
      model.watch,
      model.labels,
      model.object,
      model.settings,
      model.toState()
    );
    expect(restored.open).toEqual(held);
    for (let i = 0; i < 100; i++) {
      restored.step(at(i), [level(i)]);
    }
    expect(restored.takeChanges().anomalies).toEqual([]);
    restored.step(at(101), [100]);
    // Found a step later than it started: the same record, its start kept, not counted as opened.
    expect(restored.takeChanges()).toMatchObject({
      anomalies: [{ start: at(100), end: at(101), state: 'open' }],
      opened: 0,
    });
  });

  it('closes the held anomaly once the replay passes closeAfter steps after its end without finding it', () => {
    const model = restoredOpen();
    model.relearn(at(103));
    for (let i = 0; i < 104; i++) {
      model.step(at(i), [level(i)]);
    }
    // Its end was step 102; closeAfter is 2: step 104 is the first past it.
    expect(model.open).toMatchObject({ start: at(100), state: 'open' });
    expect(model.takeChanges().anomalies).toEqual([]);
    model.step(at(104), [level(104)]);
    expect(model.open).toBeNull();
    expect(model.takeChanges()).toMatchObject({ anomalies: [{ start: at(100), state: 'closed' }], opened: 0 });
    // A later fault is a new anomaly.
    model.step(at(105), [100]);
    expect(model.takeChanges()).toMatchObject({ anomalies: [{ start: at(105), state: 'open' }], opened: 1 });
  });
});
