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
