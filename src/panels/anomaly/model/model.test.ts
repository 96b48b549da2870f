import { FieldType, toDataFrame } from '@grafana/data';
import { RECOMMENDED_THRESHOLD } from '../../../detection';
import { synthetic } from '../../../detection/testSeries';
import type { Anomaly, Target } from '../../../contract/pipeline';
import { alignBand, backendAnalysis, matchTarget, parseBackendSignal } from './backend';
import { analyseInBrowser, thresholdOfSensitivity } from './browser';
import { forecastSeries } from './forecast';
import { formatDuration } from './format';
import { findRanges } from './ranges';
import { readSeries } from './series';
import { morningRise, ramp, seriesOf, STEP, T0 } from './testFixtures';

describe('readSeries', () => {
  it('reads every number field beside a time field as a series, nulls as NaN', () => {
    const frame = toDataFrame({
      fields: [
        { name: 'Time', type: FieldType.time, values: [1000, 2000, 3000] },
        { name: 'a', type: FieldType.number, values: [1, null, 3] },
        { name: 'b', type: FieldType.number, values: [4, 5, 6] },
      ],
    });
    const { series, problem } = readSeries([frame]);
    expect(problem).toBeUndefined();
    expect(series.map((s) => s.name)).toEqual(['a', 'b']);
    expect(Array.from(series[0].values)).toEqual([1, NaN, 3]);
    expect(series[0].time).toBeInstanceOf(Float64Array);
  });

  it('says why nothing can be drawn', () => {
    expect(readSeries([]).problem).toBe('no-data');
    expect(readSeries([toDataFrame({ fields: [{ name: 'v', type: FieldType.number, values: [1, 2] }] })]).problem).toBe(
      'no-time-field'
    );
    expect(
      readSeries([
        toDataFrame({
          fields: [
            { name: 'Time', type: FieldType.time, values: [] },
            { name: 'v', type: FieldType.number, values: [] },
          ],
        }),
      ]).problem
    ).toBe('no-data');
  });
});

describe('findRanges', () => {
  const n = 80;
  const time = Float64Array.from({ length: n }, (_, i) => T0 + i * STEP);
  const expected = new Float64Array(n).fill(10);
  const lower = new Float64Array(n).fill(9);
  const upper = new Float64Array(n).fill(11);

  it('widens each scored point to the stretch outside the band, and says above or below', () => {
    const values = new Float64Array(n).fill(10);
    const score = new Float64Array(n);
    values.fill(20, 20, 26);
    score[21] = 0.9;
    values.fill(5, 50, 53);
    score[50] = 0.5;
    const ranges = findRanges({ time, values, score, expected, lower, upper }, RECOMMENDED_THRESHOLD);
    expect(ranges).toHaveLength(2);
    expect(ranges[0]).toMatchObject({
      startMs: time[20],
      endMs: time[25],
      peakMs: time[21],
      peakScore: 0.9,
      side: 'above',
    });
    expect(ranges[1]).toMatchObject({ startMs: time[50], endMs: time[52], side: 'below' });
    expect(['critical', 'high', 'medium', 'low']).toContain(ranges[0].severity);
  });

  it('merges nearby events on the same side into one range, keeps the higher peak', () => {
    const values = new Float64Array(n).fill(10);
    const score = new Float64Array(n);
    values.fill(20, 30, 33);
    values.fill(20, 35, 38);
    score[30] = 0.4;
    score[36] = 0.8;
    const ranges = findRanges({ time, values, score, expected, lower, upper }, RECOMMENDED_THRESHOLD);
    expect(ranges).toHaveLength(1);
    expect(ranges[0]).toMatchObject({ startMs: time[30], endMs: time[37], peakMs: time[36], peakScore: 0.8 });
  });

  it('ignores scores under the threshold', () => {
    const values = new Float64Array(n).fill(20);
    const score = new Float64Array(n).fill(RECOMMENDED_THRESHOLD / 2);
    expect(findRanges({ time, values, score, expected, lower, upper }, RECOMMENDED_THRESHOLD)).toEqual([]);
  });
});

describe('analyseInBrowser', () => {
  const options = {
    detector: 'failureprophet',
    threshold: RECOMMENDED_THRESHOLD,
    withForecast: false,
    horizonMs: 3_600_000,
    direction: 'above' as const,
  };

  it('marks a spike as a range above the band, and learns a band around the series', () => {
    const { t, v } = synthetic('spike', 2000, 1500);
    const a = analyseInBrowser(seriesOf(t, v), options);
    const spike = a.ranges.find((r) => r.startMs <= t[1500] && t[1500] <= r.endMs);
    expect(spike).toMatchObject({ side: 'above' });
    expect(spike!.peakScore).toBeGreaterThanOrEqual(RECOMMENDED_THRESHOLD);
    for (const i of [1000, 1400, 1999]) {
      expect(a.lower[i]).toBeLessThan(a.expected[i]);
      expect(a.upper[i]).toBeGreaterThan(a.expected[i]);
      expect(a.score[i]).toBeGreaterThanOrEqual(0);
      expect(a.score[i]).toBeLessThanOrEqual(1);
    }
  });

  it('marks a drop as a range below the band', () => {
    const { t, v } = synthetic('step', 2000, 1500);
    const dropped = v.map((x, i) => (i >= 1500 ? x - 30 : x));
    const a = analyseInBrowser(seriesOf(t, dropped), options);
    expect(a.ranges.find((r) => r.startMs <= t[1500] && t[1500] <= r.endMs)).toMatchObject({ side: 'below' });
  });

  it('leaves band and score unknown where the series has no sample', () => {
    const { t, v } = synthetic('noise', 300);
    v[200] = NaN;
    const a = analyseInBrowser(seriesOf(t, v), options);
    expect(a.score[200]).toBeNaN();
    expect(a.lower[200]).toBeNaN();
    expect(a.upper[201]).not.toBeNaN();
  });

  it('runs any detector of the library', () => {
    const { t, v } = synthetic('spike', 800, 700);
    for (const detector of ['ewma', 'zscore']) {
      const a = analyseInBrowser(seriesOf(t, v), { ...options, detector });
      expect(a.ranges.some((r) => r.startMs <= t[700] && t[700] <= r.endMs && r.side === 'above')).toBe(true);
    }
  });
});

describe('thresholdOfSensitivity', () => {
  it('is the recommended threshold at 50 and falls as sensitivity rises', () => {
    expect(thresholdOfSensitivity(50)).toBeCloseTo(RECOMMENDED_THRESHOLD);
    expect(thresholdOfSensitivity(100)).toBeLessThan(thresholdOfSensitivity(50));
    expect(thresholdOfSensitivity(0)).toBeGreaterThan(thresholdOfSensitivity(50));
    expect(thresholdOfSensitivity(NaN)).toBeCloseTo(RECOMMENDED_THRESHOLD);
  });
});

describe('formatDuration', () => {
  it('says a countdown in its two largest units', () => {
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(2820)).toBe('47 min');
    expect(formatDuration(7800)).toBe('2 h 10 min');
    expect(formatDuration(7200)).toBe('2 h');
    expect(formatDuration(3 * 86_400 + 4 * 3600 + 60)).toBe('3 d 4 h');
    expect(formatDuration(Infinity)).toBe('beyond the forecast horizon');
  });
});

describe('backend analysis', () => {
  it('parses watch/signal', () => {
    expect(parseBackendSignal('node/memory')).toEqual({ watch: 'node', signal: 'memory' });
    expect(parseBackendSignal('node')).toBeUndefined();
    expect(parseBackendSignal(undefined)).toBeUndefined();
  });

  it('matches a series to the target whose labels it carries', () => {
    const s = {
      ...seriesOf(Float64Array.of(T0, T0 + STEP), Float64Array.of(1, 2)),
      labels: { instance: 'a', job: 'node' },
    };
    const targets = [{ labels: { instance: 'b' } }, { labels: { instance: 'a' } }] as unknown as Target[];
    expect(matchTarget(s, targets)).toBe(targets[1]);
    expect(matchTarget({ ...s, labels: {} }, targets)).toBeUndefined();
  });

  it('aligns band points to the panel samples by nearest time within half a step, leaving the rest unknown', () => {
    const time = Float64Array.from({ length: 6 }, (_, i) => T0 + i * 60_000);
    const point = (t: number, score: number) => ({ t, value: 1, expected: 10, lower: 8, upper: 12, score });
    const aligned = alignBand(time, [
      point(T0 + 3 * 60_000 + 10_000, 0.3),
      point(T0 + 4 * 60_000, 0.4),
      point(T0 + 5 * 60_000, 0.5),
    ]);
    expect(Array.from(aligned.score)).toEqual([NaN, NaN, NaN, 0.3, 0.4, 0.5]);
    expect(aligned.lower[4]).toBe(8);
  });

  describe('the crossing', () => {
    const { t, v } = morningRise();
    const series = seriesOf(t, v);
    // Asked far enough ahead, the browser's plain trend model carries the morning rise across 0.85.
    const browser = forecastSeries({ time: t, values: v, horizonMs: 24 * 3_600_000, limit: 0.85, direction: 'above' });
    const withTimeToFailure = (timeToFailure: Target['timeToFailure']) =>
      backendAnalysis(
        series,
        { target: { timeToFailure } as unknown as Target, signal: 'cpu', points: [], anomalies: [] },
        browser
      ).forecast;

    it('carries the backend’s step, and its reason where it forecasts none', () => {
      const ttf = {
        signal: 'cpu',
        limit: 0.9,
        direction: 'above' as const,
        seconds: 7200,
        lowerSeconds: 5400,
        upperSeconds: null,
        fromMs: t[359],
        stepMs: 15_000,
      };
      const analysed = (target: Partial<Target>) =>
        backendAnalysis(series, { target: target as Target, signal: 'cpu', points: [], anomalies: [] }, browser);
      expect(analysed({ timeToFailure: ttf }).forecast!.crossing!.stepMs).toBe(15_000);
      expect(analysed({ timeToFailure: null, noForecast: 'no significant trend' }).noForecast).toBe(
        'no significant trend'
      );
      // Another signal's forecast says nothing of why this one has none.
      expect(analysed({ timeToFailure: { ...ttf, signal: 'memory' } }).noForecast).toBeUndefined();
    });

    it('is none where the backend forecasts none, even when the browser’s estimate crosses', () => {
      expect(Number.isFinite(browser!.crossing!.atMs)).toBe(true);
      const forecast = withTimeToFailure(null);
      expect(forecast!.crossing).toBeUndefined();
      // The path drawn is still the browser's.
      expect(forecast!.path).toBe(browser!.path);
    });

    it('is the backend’s for the series’ own signal only, not the target’s soonest of another signal', () => {
      const ttf = {
        signal: 'cpu',
        limit: 0.9,
        direction: 'above' as const,
        seconds: 7200,
        lowerSeconds: 5400,
        upperSeconds: null,
        fromMs: t[359],
      };
      expect(withTimeToFailure({ ...ttf, signal: 'memory' })!.crossing).toBeUndefined();
      expect(withTimeToFailure(ttf)!.crossing).toEqual({
        source: 'backend',
        limit: 0.9,
        direction: 'above',
        atMs: t[359] + 7_200_000,
        earliestMs: t[359] + 5_400_000,
        latestMs: Infinity,
        fromMs: t[359],
        seconds: 7200,
      });
    });
  });

  it('draws every anomaly that names its signal, however the signal departed, and none that names only another', () => {
    const { t, v } = ramp(20, 10, 0.1);
    const episode = (id: number, signals: string[]) =>
      ({ id, start: t[5], end: t[12], peakScore: id / 10, signals, direction: 'above' }) as Anomaly;
    // A range says which anomaly it drew by its peak score (the id over 10).
    const drawn = (signal: string) =>
      backendAnalysis(
        seriesOf(t, v),
        {
          target: { timeToFailure: null } as unknown as Target,
          signal,
          points: [],
          anomalies: [
            episode(1, ['memory (limit forecast)']),
            episode(2, ['memory (stopped)', 'restarts']),
            episode(3, ['cpu (vs peers)']),
            episode(4, ['memory (limit 0.95 in 42 min or later)']),
            episode(5, ['cpu']),
          ],
        },
        undefined
      ).ranges.map((r) => r.peakScore * 10);
    expect(drawn('memory')).toEqual([1, 2, 4]);
    expect(drawn('cpu')).toEqual([3, 5]);
    expect(drawn('restarts')).toEqual([2]);
  });

  it('marks an episode’s peak where the backend recorded it, at its start when it recorded none', () => {
    const { t, v } = ramp(20, 10, 0.1);
    const episode = (id: number, peak?: Anomaly['peak']) =>
      ({ id, start: t[5], end: t[12], peakScore: 0.9, peak, signals: ['cpu'], direction: 'above' }) as Anomaly;
    const peak = { at: t[9], signal: 'cpu', value: 11, expected: 10 };
    const { ranges } = backendAnalysis(
      seriesOf(t, v),
      {
        target: { timeToFailure: null } as unknown as Target,
        signal: 'cpu',
        points: [],
        anomalies: [episode(1, peak), episode(2)],
      },
      undefined
    );
    expect(ranges.map((r) => r.peakMs)).toEqual([t[9], t[5]]);
  });
});
