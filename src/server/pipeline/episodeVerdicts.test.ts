import { Episodes, type Alarm, type AnomalyRecord } from './episodes';
import type { SignalSpec } from './signal';
import { verdictOf, type ScoredStep } from './stepVerdict';
import { bandSignal, memoryForecast, scoredStep } from './testSteps';

const T = 10_000_000;
const MINUTE = 60_000;
const TARGET = { id: 'pods{pod="shop-0"}', watch: 'pods', labels: { pod: 'shop-0' } };
const MEMORY: SignalSpec = { name: 'memory', kind: 'memory', limits: { above: 1 } };
const LATENCY: SignalSpec = { name: 'latency', kind: 'latency' };
const RESTARTS: SignalSpec = { name: 'restarts', kind: 'restarts' };

/** The episode of a run of steps, each verdict handed to it as the target's loop does. */
function episodeOf(steps: ScoredStep[]): { episode: AnomalyRecord; alarms: Alarm[] } {
  const episodes = new Episodes(TARGET, 3);
  const alarms = steps.map((s) => {
    const { alarm } = verdictOf(s);
    episodes.alarm(alarm!);
    return alarm!;
  });
  return { episode: episodes.open!, alarms };
}

const assessment = (a: Pick<AnomalyRecord, 'severity' | 'failureModel' | 'reasons'>) => ({
  severity: a.severity,
  failureModel: a.failureModel,
  reasons: a.reasons,
});

describe('an anomaly a limit forecast raises alone', () => {
  /** memory leaking towards its limit, inside its band (score 0), counted down from 50 minutes to due. */
  const countdown = [50, 30, 14, 5, 0].map((minutes, i) => {
    const t = T + i * 10 * MINUTE;
    const ttf = memoryForecast(t, minutes * 60);
    return scoredStep(t, [bandSignal(MEMORY, t, 0.38, 0, ttf), bandSignal(LATENCY, t, 0.3, 0.05)], ttf, i > 0);
  });

  it('scores what a detector would need for its severity, rising as the crossing nears, and peaks at the forecast signal', () => {
    const { episode, alarms } = episodeOf(countdown);
    const scores = alarms.map((a) => a.score);
    expect(alarms.map((a) => a.severity)).toEqual(['high', 'high', 'critical', 'critical', 'critical']);
    // High from the hour on (a very unlikely value: 0.8), critical within 15 min (near-certain: 0.9), 1 when due.
    expect(scores[0]).toBeGreaterThanOrEqual(0.8);
    expect(scores[1]).toBeLessThan(0.9);
    expect(scores.slice(2).every((s) => s >= 0.9)).toBe(true);
    expect(scores[4]).toBe(1);
    expect([...scores].sort((a, b) => a - b)).toEqual(scores);
    expect(new Set(scores).size).toBe(scores.length);
    expect(episode).toMatchObject({
      peakScore: 1,
      peak: { at: countdown[4].t, signal: 'memory', value: 0.38, expected: 0.3 },
      signals: ['memory (limit forecast)'],
    });
  });

  it('peaks where its score came from: the forecast signal when it outscores the detectors, else the highest detector', () => {
    const at = (latencyScore: number) => {
      const ttf = memoryForecast(T, 40 * 60);
      const signals = [bandSignal(MEMORY, T, 0.38, 0, ttf), bandSignal(LATENCY, T, 0.9, latencyScore)];
      return verdictOf(scoredStep(T, signals, ttf, false)).alarm;
    };
    expect(at(0.5)).toMatchObject({ peak: { signal: 'memory', value: 0.38 }, direction: 'above' });
    expect(at(0.5)!.score).toBeGreaterThan(0.8);
    // A detector scoring higher keeps its score and its peak: the forecast changes no detector's output.
    expect(at(0.97)).toMatchObject({ score: 0.97, peak: { signal: 'latency', value: 0.9 }, direction: 'above' });
  });
});

describe("an episode's failure model and reasons", () => {
  it('come from its gravest step, though a less grave one scored higher', () => {
    // Latency up alone (a partition, high), then the target restarts (a crash: critical), scoring less.
    const spike = scoredStep(T, [bandSignal(LATENCY, T, 0.9, 0.95)], null, false);
    const restart = scoredStep(
      T + MINUTE,
      [bandSignal(LATENCY, T + MINUTE, 0.3, 0), bandSignal(RESTARTS, T + MINUTE, 1, 0.92)],
      null,
      true
    );
    const { episode, alarms } = episodeOf([spike, restart]);
    expect(assessment(alarms[0]).failureModel).toBe('network_partition');
    expect(assessment(episode)).toEqual(assessment(alarms[1]));
    expect(episode).toMatchObject({ failureModel: 'crash', peakScore: 0.95, peak: { signal: 'latency' } });
  });

  it('stay with the gravest step when a less grave one scores higher afterwards', () => {
    const restart = scoredStep(T, [bandSignal(RESTARTS, T, 1, 0.92)], null, false);
    const spike = scoredStep(T + MINUTE, [bandSignal(LATENCY, T + MINUTE, 0.9, 0.95)], null, true);
    const { episode, alarms } = episodeOf([restart, spike]);
    expect(assessment(episode)).toEqual(assessment(alarms[0]));
    expect(episode).toMatchObject({ severity: 'critical', failureModel: 'crash', peakScore: 0.95 });
  });

  it("of equally grave steps, are the higher-scoring step's, both of them", () => {
    // Memory out of its band (resource exhaustion), then latency further out (a partition): both medium.
    const memory = scoredStep(T, [bandSignal(MEMORY, T, 0.6, 0.5)], null, false);
    const latency = scoredStep(T + MINUTE, [bandSignal(LATENCY, T + MINUTE, 0.7, 0.7)], null, true);
    const { episode, alarms } = episodeOf([memory, latency]);
    expect(alarms.map((a) => [a.severity, a.failureModel])).toEqual([
      ['medium', 'resource_exhaustion'],
      ['medium', 'network_partition'],
    ]);
    expect(assessment(episode)).toEqual(assessment(alarms[1]));
  });

  it('follow a limit forecast that makes the episode critical after a detector scored higher', () => {
    const spike = scoredStep(T, [bandSignal(LATENCY, T, 0.9, 0.99)], null, false);
    const ttf = memoryForecast(T + MINUTE, 10 * 60);
    const signals = [bandSignal(MEMORY, T + MINUTE, 0.38, 0, ttf), bandSignal(LATENCY, T + MINUTE, 0.3, 0)];
    const near = scoredStep(T + MINUTE, signals, ttf, true);
    const { episode, alarms } = episodeOf([spike, near]);
    expect(alarms[1]).toMatchObject({ severity: 'critical', failureModel: 'resource_exhaustion' });
    expect(assessment(episode)).toEqual(assessment(alarms[1]));
    expect(episode.peakScore).toBe(0.99);
  });
});
