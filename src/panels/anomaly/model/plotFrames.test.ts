import { createTheme } from '@grafana/data';
import { synthetic } from '../../../detection/testSeries';
import { defaultLayers } from '../types';
import { analyseInBrowser } from './browser';
import { buildPlotFrames } from './plotFrames';
import { ramp, seriesOf, STEP } from './testFixtures';

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
    // failureprophet-v5: its anomaly peaks are extreme samples. failureprophet alarms on a window shape
    // through ARTime, whose peak sample can be ordinary and is not kept by min/max.
    const a = analyseInBrowser(seriesOf(t, v), {
      detector: 'failureprophet-v5',
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
