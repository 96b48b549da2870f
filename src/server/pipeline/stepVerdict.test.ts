import type { TimeToFailure } from '../../contract/pipeline';
import { createProductDetector, type StreamingDetector } from '../../detection';
import { SignalModel, type SignalSpec } from './signal';
import { verdictOf, type ScoredStep } from './stepVerdict';

const T = 10_000_000;
const MINUTE = 60_000;
const MEMORY: SignalSpec = { name: 'memory', kind: 'memory', limits: { above: 1 } };
const RESTARTS: SignalSpec = { name: 'restarts', kind: 'restarts' };

/** A signal as the loop leaves it at step t: its value and score there, a learned band of [0.2, 0.4] around 0.3. */
function signal(spec: SignalSpec, t: number, value: number, score: number, ttf: TimeToFailure | null = null) {
  const s = new SignalModel(spec, createProductDetector('zscore', 0.5, 0), undefined, 0);
  Object.assign(s, { value, expected: 0.3, lower: 0.2, upper: 0.4, score, lastAt: t, ttf });
  s.direction = value > 0.4 ? 'above' : value < 0.2 ? 'below' : 'none';
  return s;
}

/** memory's forecast at t: its limit 1 crossed `seconds` after t at the earliest, `already` past it. */
function forecast(t: number, seconds: number, already = false): TimeToFailure {
  return {
    signal: 'memory',
    limit: 1,
    direction: 'above',
    seconds: already ? 0 : seconds + 120,
    lowerSeconds: already ? 0 : seconds,
    upperSeconds: already ? 0 : seconds + 300,
    fromMs: t,
  };
}

function step(t: number, signals: SignalModel[], ttf: TimeToFailure | null, open: boolean): ScoredStep {
  return { t, signals, threshold: 0.5, score: Math.max(0, ...signals.map((s) => s.score)), ttf, open };
}

/** `spec`'s series stopped at t: its detector scores the gap (the failureprophet detector's run of missing samples). */
function stoppedSignal(spec: SignalSpec, t: number, ttf: TimeToFailure | null) {
  const s = signal(spec, t - MINUTE, 0.95, 0, ttf);
  s.detector = { ...s.detector, missingRunLevel: 1 } as StreamingDetector;
  Object.assign(s, { score: 1, missingAt: t });
  return s;
}

describe('the verdict of a step whose limit crossing is near', () => {
  it('names the forecast the same way at every step of its countdown, its time left not part of the name', () => {
    const named = [50, 42, 3, 0].map((minutes, i) => {
      const t = T + i * MINUTE;
      const ttf = forecast(t, minutes * 60, minutes === 0);
      return verdictOf(step(t, [signal(MEMORY, t, 0.9, 0, ttf)], ttf, i > 0)).alarm?.signals;
    });
    expect(named).toEqual(named.map(() => ['memory (limit forecast)']));
  });

  it('calls the restart its forecast foretold resource exhaustion, not a crash', () => {
    const ttf = forecast(T, 30);
    const v = verdictOf(step(T, [signal(MEMORY, T, 0.3, 0, ttf), signal(RESTARTS, T, 1, 1)], ttf, true));
    expect(v.alarm).toMatchObject({
      failureModel: 'resource_exhaustion',
      signals: ['restarts', 'memory (limit forecast)'],
    });
  });

  it('calls the target stopping as its memory reaches the limit resource exhaustion, and a stop far from it a crash', () => {
    const ttf = forecast(T, 30);
    const near = verdictOf({ ...step(T, [stoppedSignal(MEMORY, T, ttf)], ttf, true), absence: 'crash' });
    expect(near.alarm).toMatchObject({
      severity: 'critical',
      failureModel: 'resource_exhaustion',
      signals: ['memory (stopped)', 'memory (limit forecast)'],
    });
    const far = forecast(T, 3 * 3600);
    expect(verdictOf({ ...step(T, [stoppedSignal(MEMORY, T, far)], far, true), absence: 'crash' }).alarm).toMatchObject(
      {
        failureModel: 'crash',
        signals: ['memory (stopped)'],
      }
    );
  });
});
