import { StreamingForecaster, type LimitDirection } from '../../../detection';
import type { Forecast } from './analysis';

/** Points drawn for the forecast path, whatever its horizon. */
const PATH_POINTS = 120;
/**
 * Most grid steps the forecaster sees. A 15 s scrape over two days is 11,520 steps, on which the
 * h-step error of a per-step trend grows so fast that any forecast of hours is all uncertainty;
 * averaging onto a coarser grid keeps the range meaningful and the run cheap.
 */
const MAX_FORECAST_STEPS = 600;

/** How far ahead the forecast is drawn, and the limit it is checked against. */
export interface ForecastOptions {
  /** How far ahead to forecast: the path is drawn this far unless a crossing comes sooner, and a later crossing is not reported. */
  horizonMs: number;
  limit?: number;
  direction: LimitDirection;
}

export interface ForecastRequest extends ForecastOptions {
  time: Float64Array;
  values: Float64Array;
}

/**
 * Damped Holt-Winters forecast after the last sample, drawn up to the latest plausible crossing of
 * the limit (or `horizonMs`), with the 90% range the library uses for its time to failure, so the
 * drawn band meets the limit exactly where the reported earliest and latest crossings say. The
 * crossing is searched for within `horizonMs` only, the stretch the graph shows: further out, this
 * plain model's range is mostly uncertainty.
 */
export function forecastSeries(request: ForecastRequest): Forecast | undefined {
  const { horizonMs, limit, direction } = request;
  const { time, values } = coarsen(request.time, request.values);
  const stepMs = medianStep(time);
  if (!(stepMs > 0)) {
    return undefined;
  }
  const f = new StreamingForecaster({ stepMs, horizonSteps: Math.max(1, Math.ceil(horizonMs / stepMs)) });
  let lastMs = NaN;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) {
      f.update(time[i], values[i]);
      lastMs = time[i];
    }
  }
  if (Number.isNaN(lastMs) || Number.isNaN(f.forecast(1))) {
    return undefined;
  }
  let crossing: Forecast['crossing'];
  let drawMs = horizonMs;
  if (limit !== undefined && Number.isFinite(limit)) {
    const ttf = f.timeToLimit(limit, direction);
    const at = (s: number) => (s === Infinity ? Infinity : ttf.fromMs + s * 1000);
    crossing = {
      source: 'browser',
      limit,
      direction,
      atMs: at(ttf.seconds),
      earliestMs: at(ttf.lowerSeconds),
      latestMs: at(ttf.upperSeconds),
      fromMs: ttf.fromMs,
      seconds: ttf.seconds,
    };
    const reach = Number.isFinite(ttf.upperSeconds) ? ttf.upperSeconds : ttf.seconds;
    if (Number.isFinite(reach)) {
      drawMs = Math.min(horizonMs, Math.max(reach * 1000 * 1.1, stepMs));
    }
  }
  const steps = Math.max(1, Math.ceil(drawMs / stepMs));
  const points = Math.min(PATH_POINTS, steps);
  const path = {
    time: new Float64Array(points + 1),
    value: new Float64Array(points + 1),
    lower: new Float64Array(points + 1),
    upper: new Float64Array(points + 1),
  };
  const last = values[lastIndexFinite(values)];
  // The path starts at the last sample so it joins the series without a gap.
  path.time[0] = lastMs;
  path.value[0] = path.lower[0] = path.upper[0] = last;
  const horizons = Array.from({ length: points }, (_, k) => Math.round(((k + 1) * steps) / points));
  // The library's 90% range, the one its time to limit uses.
  const spreads = f.spreads(horizons);
  horizons.forEach((h, k) => {
    const y = f.forecast(h);
    path.time[k + 1] = lastMs + h * stepMs;
    path.value[k + 1] = y;
    path.lower[k + 1] = y - spreads[k];
    path.upper[k + 1] = y + spreads[k];
  });
  return { path, crossing };
}

/** Means over equal time buckets when the series has more than MAX_FORECAST_STEPS steps; the last sample stays last. */
function coarsen(time: Float64Array, values: Float64Array): { time: Float64Array; values: Float64Array } {
  const n = time.length;
  const span = n > 1 ? time[n - 1] - time[0] : 0;
  const step = medianStep(time);
  if (!(span / step > MAX_FORECAST_STEPS)) {
    return { time, values };
  }
  const bucketMs = Math.ceil(span / MAX_FORECAST_STEPS / step) * step;
  const outT: number[] = [];
  const outV: number[] = [];
  let sum = 0;
  let count = 0;
  // Buckets end at the last sample, so the forecast starts where the series does.
  let bucketEnd = time[n - 1] - Math.floor((time[n - 1] - time[0]) / bucketMs) * bucketMs;
  for (let i = 0; i < n; i++) {
    while (time[i] > bucketEnd) {
      if (count > 0) {
        outT.push(bucketEnd);
        outV.push(sum / count);
      }
      sum = 0;
      count = 0;
      bucketEnd += bucketMs;
    }
    if (Number.isFinite(values[i])) {
      sum += values[i];
      count++;
    }
  }
  if (count > 0) {
    outT.push(bucketEnd);
    outV.push(sum / count);
  }
  return { time: Float64Array.from(outT), values: Float64Array.from(outV) };
}

function medianStep(time: Float64Array): number {
  const n = Math.min(time.length - 1, 200);
  if (n < 1) {
    return NaN;
  }
  const diffs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    diffs[i] = time[time.length - n + i] - time[time.length - n + i - 1];
  }
  diffs.sort();
  return diffs[n >> 1];
}

function lastIndexFinite(values: Float64Array): number {
  let i = values.length - 1;
  while (i > 0 && !Number.isFinite(values[i])) {
    i--;
  }
  return i;
}
