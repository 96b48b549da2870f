import { createTheme, FieldType, toDataFrame } from '@grafana/data';
import { RECOMMENDED_THRESHOLD } from '../../../detection';
import { synthetic } from '../../../detection/testSeries';
import { defaultLayers } from '../types';
import type { Anomaly, Target } from '../../../contract/pipeline';
import { alignBand, backendAnalysis, matchTarget, parseBackendSignal } from './backend';
import { analyseInBrowser, thresholdOfSensitivity } from './browser';
import { forecastSeries } from './forecast';
import { formatDuration } from './format';
import { buildPlotFrames } from './plotFrames';
import { findRanges } from './ranges';
import { readSeries, type PanelSeries } from './series';

const STEP = 300_000;
const T0 = Date.UTC(2024, 0, 1);

function seriesOf(t: Float64Array, v: Float64Array, name = 'cpu'): PanelSeries {
  const [s] = readSeries([
    toDataFrame({
      fields: [
        { name: 'Time', type: FieldType.time, values: Array.from(t) },
        { name, type: FieldType.number, values: Array.from(v) },
      ],
    }),
  ]).series;
  return s;
}

function ramp(n: number, from: number, perStep: number): { t: Float64Array; v: Float64Array } {
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = T0 + i * STEP;
    // A small deterministic wobble so the forecaster has residuals to size its range with.
    v[i] = from + perStep * i + 0.3 * Math.sin(i * 1.7);
  }
  return { t, v };
}

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

describe('forecastSeries', () => {
  it('predicts when a rising series crosses its limit, with a range around it, and draws up to it', () => {
    const { t, v } = ramp(600, 10, 0.1);
    // 10 + 0.1 * 599 ≈ 70 at the end; 80 is ~100 steps (~8.3 h) ahead.
    const f = forecastSeries({ time: t, values: v, horizonMs: 48 * 3_600_000, limit: 80, direction: 'above' })!;
    const c = f.crossing!;
    expect(c.seconds / 3600).toBeGreaterThan(6);
    expect(c.seconds / 3600).toBeLessThan(11);
    expect(c.earliestMs).toBeLessThanOrEqual(c.atMs);
    expect(c.latestMs).toBeGreaterThanOrEqual(c.atMs);
    expect(c.fromMs).toBe(t[599]);
    const { path } = f;
    expect(path.time[0]).toBe(t[599]);
    expect(path.value[0]).toBe(v[599]);
    const last = path.time.length - 1;
    expect(path.time[last]).toBeGreaterThanOrEqual(c.atMs);
    for (let k = 1; k <= last; k++) {
      expect(path.lower[k]).toBeLessThanOrEqual(path.value[k]);
      expect(path.upper[k]).toBeGreaterThanOrEqual(path.value[k]);
      expect(path.time[k]).toBeGreaterThan(path.time[k - 1]);
    }
  });

  it('handles a falling series with a limit below', () => {
    const { t, v } = ramp(600, 100, -0.1);
    const c = forecastSeries({
      time: t,
      values: v,
      horizonMs: 48 * 3_600_000,
      limit: 20,
      direction: 'below',
    })!.crossing!;
    expect(Number.isFinite(c.atMs)).toBe(true);
    expect(c.direction).toBe('below');
  });

  it('draws the forecast over the horizon without a crossing when no limit is set', () => {
    const { t, v } = synthetic('noise', 500);
    const f = forecastSeries({ time: t, values: v, horizonMs: 6 * 3_600_000, direction: 'above' })!;
    expect(f.crossing).toBeUndefined();
    expect(f.path.time[f.path.time.length - 1] - t[499]).toBe(6 * 3_600_000);
    expect(f.path.time.length).toBeLessThanOrEqual(121);
  });

  it('gives nothing for a series too short to have a step', () => {
    expect(
      forecastSeries({ time: Float64Array.of(T0), values: Float64Array.of(1), horizonMs: 1000, direction: 'above' })
    ).toBeUndefined();
  });
});

describe('buildPlotFrames', () => {
  const theme = createTheme();
  const { t, v } = ramp(400, 10, 0.1);
  const analyses = [seriesOf(t, v, 'node-1'), seriesOf(t, v, 'node-2')].map((s) =>
    analyseInBrowser(s, {
      detector: 'failureprophet',
      threshold: 0.27,
      withForecast: true,
      horizonMs: 3_600_000,
      limit: 80,
      direction: 'above',
    })
  );

  const names = (plot: ReturnType<typeof buildPlotFrames>) =>
    plot.frames[0].fields.map((f) => f.config.displayName ?? f.name);
  const field = (plot: ReturnType<typeof buildPlotFrames>, name: string) =>
    plot.frames[0].fields.find((f) => (f.config.displayName ?? f.name) === name)!;

  it('gives one aligned frame: each series with its band as a fillBelowTo pair, one max score on a 0–1 right axis, and the forecasts', () => {
    const plot = buildPlotFrames(analyses, defaultLayers, 0.27, theme);
    expect(plot.frames).toHaveLength(1);
    expect(names(plot)).toEqual([
      'Time',
      'node-1',
      'node-1 · upper',
      'node-1 · lower',
      'node-2',
      'node-2 · upper',
      'node-2 · lower',
      'Anomaly score (max)',
      'node-1 · forecast',
      'node-1 · forecast upper',
      'node-1 · forecast lower',
      'node-2 · forecast',
      'node-2 · forecast upper',
      'node-2 · forecast lower',
    ]);
    const [time, value, upper, lower] = plot.frames[0].fields;
    const score = field(plot, 'Anomaly score (max)');
    expect(upper.config.custom.fillBelowTo).toBe('node-1 · lower');
    expect(upper.config.custom.hideFrom).toEqual({ legend: true, tooltip: true, viz: false });
    expect(score.config).toMatchObject({ min: 0, max: 1, custom: { axisPlacement: 'right' } });
    expect(score.config.thresholds?.steps[1].value).toBe(0.27);
    expect(plot.roles.get('Anomaly score (max)')).toEqual({ index: -1, role: 'score' });
    expect(plot.roles.get('node-2 · upper')).toEqual({ index: 1, role: 'upper' });
    // The time axis is the series' samples, then the forecast's (its first point is the last sample).
    const path = analyses[0].forecast!.path;
    expect(time.values).toEqual([...Array.from(analyses[0].series.time), ...Array.from(path.time.subarray(1))]);
    expect(plot.frames[0].length).toBe(time.values.length);
    expect(value.values.slice(0, 400)).toEqual(Array.from(analyses[0].series.values));
    expect(field(plot, 'node-1 · forecast').values.slice(399)).toEqual(Array.from(path.value));
    // The limit is a dashed threshold line on the first series, inside the axis' soft range.
    expect(value.config.custom.thresholdsStyle).toEqual({ mode: 'dashed' });
    expect(value.config.thresholds?.steps[1].value).toBe(80);
    expect(value.config.custom.axisSoftMax).toBe(80);
    expect(lower.config.custom.axisSoftMax).toBe(80);
    // No NaN reaches uPlot: unknown values are gaps.
    expect(upper.values.some((x: unknown) => typeof x === 'number' && Number.isNaN(x))).toBe(false);
    expect(upper.values[0]).toBeNull();
  });

  it('keeps one series’ own score line in its colour', () => {
    const plot = buildPlotFrames(analyses.slice(0, 1), defaultLayers, 0.27, theme);
    expect(names(plot)).toContain('node-1 · score');
    expect(plot.roles.get('node-1 · score')).toEqual({ index: 0, role: 'score' });
  });

  it('takes colours from the theme palette, the same for a series and its layers', () => {
    const plot = buildPlotFrames(analyses, defaultLayers, 0.27, theme);
    expect(plot.colors[0]).toBe(theme.visualization.getColorByName(theme.visualization.palette[0]));
    const colours = new Set(
      plot.frames[0].fields
        .filter((f) => plot.roles.get(f.config.displayName ?? '')?.index === 0)
        .map((f) => f.config.color?.fixedColor)
    );
    expect([...colours]).toEqual([plot.colors[0]]);
    expect(field(plot, 'Anomaly score (max)').config.color?.fixedColor).toBe(theme.colors.text.secondary);
  });

  it('draws only the series when every layer is off', () => {
    const plot = buildPlotFrames(
      analyses,
      { band: false, score: false, anomalies: false, forecast: false },
      0.27,
      theme
    );
    expect(names(plot)).toEqual(['Time', 'node-1', 'node-2']);
    expect(plot.frames[0].fields[1].config.thresholds).toBeUndefined();
  });

  it('keeps each bucket’s minimum and maximum in time order when asked for fewer points, so a spike stays', () => {
    const { t, v } = ramp(4000, 10, 0);
    v[1234] = 99;
    v[2345] = -50;
    const a = analyseInBrowser(seriesOf(t, v), {
      detector: 'ewma',
      threshold: 0.27,
      withForecast: false,
      horizonMs: 3_600_000,
      direction: 'above',
    });
    const layers = { band: false, score: false, anomalies: false, forecast: false };
    const full = buildPlotFrames([a], layers, 0.27, theme);
    const plot = buildPlotFrames([a], layers, 0.27, theme, 400);
    const [time, value] = plot.frames[0].fields;
    expect(time.values.length).toBeLessThanOrEqual(400);
    expect(plot.structureKey).toBe(full.structureKey);
    // Every x is a real sample time, ascending.
    expect(time.values.every((x: number, i: number) => t.includes(x) && (i === 0 || x > time.values[i - 1]))).toBe(
      true
    );
    expect(Math.max(...value.values)).toBe(99);
    expect(Math.min(...value.values)).toBe(-50);
    expect(time.values[0]).toBe(t[0]);
    expect(time.values[time.values.length - 1]).toBe(t[3999]);
  });

  it('keeps, per bucket of about a pixel, exactly the minimum and maximum of the samples in it (so every anomaly peak), gaps as null, and clamps the band', () => {
    const { t, v } = synthetic('spike', 12_000, 9000);
    v[3000] = -40;
    v.fill(NaN, 5000, 5050);
    const a = analyseInBrowser(seriesOf(t, v), {
      detector: 'failureprophet',
      threshold: 0.27,
      withForecast: false,
      horizonMs: 0,
      direction: 'above',
    });
    const plot = buildPlotFrames(
      [a],
      { band: true, score: false, anomalies: true, forecast: false },
      0.27,
      theme,
      2 * 1280
    );
    const [time, value, upper] = plot.frames[0].fields;
    const rows: number[] = time.values;
    expect(rows.length).toBeLessThanOrEqual(2 * 1280);
    // Output rows come alone (a bucket of one sample) or in pairs (its first and last sample times).
    let checked = 0;
    for (let r = 0; r < rows.length;) {
      const from = t.indexOf(rows[r]);
      const pair = r + 1 < rows.length && t.indexOf(rows[r + 1]) > from + 1;
      const to = pair ? t.indexOf(rows[r + 1]) : from;
      const inBucket = Array.from(v.subarray(from, to + 1)).filter(Number.isFinite);
      const out = pair ? [value.values[r], value.values[r + 1]] : [value.values[r]];
      if (inBucket.length === 0) {
        expect(out).toEqual(out.map(() => null));
      } else {
        expect([Math.min(...out), Math.max(...out)]).toEqual([Math.min(...inBucket), Math.max(...inBucket)]);
      }
      checked += to - from + 1;
      r += pair ? 2 : 1;
    }
    expect(checked).toBe(t.length);
    for (const range of a.ranges) {
      const i = t.indexOf(range.peakMs);
      expect(value.values).toContain(v[i]);
    }
    expect(value.values).toContain(-40);
    // The band may not stretch the axis beyond the series' own range (plus a margin).
    const [lo, hi] = [
      Math.min(...Array.from(v).filter(Number.isFinite)),
      Math.max(...Array.from(v).filter(Number.isFinite)),
    ];
    const margin = 0.1 * (hi - lo);
    expect(
      upper.values.every((x: number | null) => x === null || (x >= lo - margin - 1e-9 && x <= hi + margin + 1e-9))
    ).toBe(true);
  });

  it('puts series with different timestamps on their union, with no value (not a gap) where a series has no sample', () => {
    const { t, v } = ramp(100, 10, 0.1);
    const shifted = t.map((x) => x + STEP / 2);
    const plot = buildPlotFrames(
      [seriesOf(t, v, 'a'), seriesOf(shifted, v, 'b')].map((s) =>
        analyseInBrowser(s, {
          detector: 'ewma',
          threshold: 0.27,
          withForecast: false,
          horizonMs: 0,
          direction: 'above',
        })
      ),
      { band: false, score: false, anomalies: false, forecast: false },
      0.27,
      theme
    );
    const [time, a, b] = plot.frames[0].fields;
    expect(time.values).toHaveLength(200);
    expect(a.values.slice(0, 4)).toEqual([v[0], undefined, v[1], undefined]);
    expect(b.values.slice(0, 4)).toEqual([undefined, v[0], undefined, v[1]]);
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
