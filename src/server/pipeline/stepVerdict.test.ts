import type { TimeToFailure } from '../../contract/pipeline';
import type { StreamingDetector } from '../../detection';
import type { SignalSpec } from './signal';
import { verdictOf } from './stepVerdict';
import { bandSignal, memoryForecast, scoredStep } from './testSteps';

const T = 10_000_000;
const MINUTE = 60_000;
const MEMORY: SignalSpec = { name: 'memory', kind: 'memory', limits: { above: 1 } };
const RESTARTS: SignalSpec = { name: 'restarts', kind: 'restarts' };

/** `spec`'s series stopped at t: its detector scores the gap (the failureprophet detector's run of missing samples). */
function stoppedSignal(spec: SignalSpec, t: number, ttf: TimeToFailure | null) {
  const s = bandSignal(spec, t - MINUTE, 0.95, 0, ttf);
  s.detector = { ...s.detector, missingRunLevel: 1 } as StreamingDetector;
  Object.assign(s, { score: 1, missingAt: t });
  return s;
}

describe('the verdict of a step whose limit crossing is near', () => {
  it('names the forecast the same way at every step of its countdown, its time left not part of the name', () => {
    const named = [50, 42, 3, 0].map((minutes, i) => {
      const t = T + i * MINUTE;
      const ttf = memoryForecast(t, minutes * 60, minutes === 0);
      return verdictOf(scoredStep(t, [bandSignal(MEMORY, t, 0.9, 0, ttf)], ttf, i > 0)).alarm?.signals;
    });
    expect(named).toEqual(named.map(() => ['memory (limit forecast)']));
  });

  it('calls the restart its forecast foretold resource exhaustion, not a crash', () => {
    const ttf = memoryForecast(T, 30);
    const v = verdictOf(scoredStep(T, [bandSignal(MEMORY, T, 0.3, 0, ttf), bandSignal(RESTARTS, T, 1, 1)], ttf, true));
    expect(v.alarm).toMatchObject({
      failureModel: 'resource_exhaustion',
      signals: ['restarts', 'memory (limit forecast)'],
    });
  });

  it('calls the target stopping as its memory reaches the limit resource exhaustion, and a stop far from it a crash', () => {
    const ttf = memoryForecast(T, 30);
    const near = verdictOf({ ...scoredStep(T, [stoppedSignal(MEMORY, T, ttf)], ttf, true), absence: 'crash' });
    expect(near.alarm).toMatchObject({
      severity: 'critical',
      failureModel: 'resource_exhaustion',
      signals: ['memory (stopped)', 'memory (limit forecast)'],
    });
    const far = memoryForecast(T, 3 * 3600);
    expect(
      verdictOf({ ...scoredStep(T, [stoppedSignal(MEMORY, T, far)], far, true), absence: 'crash' }).alarm
    ).toMatchObject({
      failureModel: 'crash',
      signals: ['memory (stopped)'],
    });
  });
});
