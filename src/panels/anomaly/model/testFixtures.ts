import { FieldType, toDataFrame } from '@grafana/data';
import { readSeries, type PanelSeries } from './series';

// Series the panel model's tests share.

export const STEP = 300_000;
export const T0 = Date.UTC(2024, 0, 1);

export function seriesOf(t: Float64Array, v: Float64Array, name = 'cpu'): PanelSeries {
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

export function ramp(n: number, from: number, perStep: number): { t: Float64Array; v: Float64Array } {
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = T0 + i * STEP;
    // A small deterministic wobble so the forecaster has residuals to size its range with.
    v[i] = from + perStep * i + 0.3 * Math.sin(i * 1.7);
  }
  return { t, v };
}

/**
 * The last 6 h (1-min samples) of a daily rhythm of 0.5 ± 0.3 that ends on its morning rise, an
 * hour before its 0.80 peak: a series that never crosses 0.85, which a plain trend model extrapolates
 * across it.
 */
export function morningRise(): { t: Float64Array; v: Float64Array } {
  const n = 360;
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const minuteOfDay = 23 * 60 + i;
    t[i] = T0 + minuteOfDay * 60_000;
    v[i] = 0.5 + 0.3 * Math.sin((2 * Math.PI * minuteOfDay) / 1440) + 0.01 * Math.sin(i * 1.7);
  }
  return { t, v };
}
