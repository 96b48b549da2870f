import { FieldType, getFieldDisplayName, type DataFrame, type Field, type Labels } from '@grafana/data';

/** One numeric series of the panel's query result, read into typed arrays for the detectors. */
export interface PanelSeries {
  /** Display name, as Grafana's own panels show it (legend, tooltip). */
  name: string;
  labels: Labels;
  /** Milliseconds since the epoch, ascending. */
  time: Float64Array;
  /** NaN where the query returned null or a non-number. */
  values: Float64Array;
  /** The original field, so its config (unit, decimals, colour) carries into the plot. */
  field: Field;
  frameIndex: number;
}

export interface ReadResult {
  series: PanelSeries[];
  /** Why nothing can be drawn, when `series` is empty. */
  problem?: 'no-data' | 'no-time-field' | 'no-number-field';
}

/** Every number field next to a time field becomes a series; frames without one are skipped. */
export function readSeries(frames: DataFrame[]): ReadResult {
  const series: PanelSeries[] = [];
  let sawTime = false;
  let sawNumber = false;
  frames.forEach((frame, frameIndex) => {
    const timeField = frame.fields.find((f) => f.type === FieldType.time);
    sawNumber ||= frame.fields.some((f) => f.type === FieldType.number);
    if (!timeField || frame.length === 0) {
      return;
    }
    sawTime = true;
    const time = toFloat64(timeField.values);
    for (const field of frame.fields) {
      if (field.type !== FieldType.number) {
        continue;
      }
      series.push({
        name: getFieldDisplayName(field, frame, frames),
        labels: field.labels ?? {},
        time,
        values: toFloat64(field.values),
        field,
        frameIndex,
      });
    }
  });
  if (series.length > 0) {
    return { series };
  }
  const rows = frames.reduce((n, f) => n + f.length, 0);
  return {
    series,
    problem: rows === 0 ? 'no-data' : !sawTime ? 'no-time-field' : sawNumber ? 'no-data' : 'no-number-field',
  };
}

function toFloat64(values: ArrayLike<unknown>): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = typeof v === 'number' ? v : NaN;
  }
  return out;
}
