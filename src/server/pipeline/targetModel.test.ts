import { SCORE_HISTORY_POINTS } from '../../contract/pipeline';
import { TargetModel, type TargetSettings } from './targetModel';
import { downsampleMax } from './targets';

const STEP = 60_000;
const settings: TargetSettings = {
  detector: 'zscore',
  stepMs: STEP,
  probation: 10,
  closeAfter: 3,
  horizonSteps: 60,
  detailPoints: 240,
};

function scored(values: number[]): TargetModel {
  const model = new TargetModel('w{job="a"}', 'w', { job: 'a' }, null, settings, 0.5);
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
