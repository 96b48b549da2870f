/** Prometheus' `predict_linear` (least squares over the window), for comparison. */
import type { CrossingEstimate, LimitDirection } from './types';
import { Z90 } from './trend';

/** PromQL's predict_linear: least-squares line through the samples, evaluated `secondsAhead` after the last one. */
export function predictLinear(
  timestampsMs: ArrayLike<number>,
  values: ArrayLike<number>,
  secondsAhead: number
): number {
  const fit = leastSquares(timestampsMs, values);
  return fit.intercept + fit.slope * secondsAhead;
}

/** Time to limit by the least-squares line (the predict_linear way), with the 90% slope range. */
export function linearTimeToLimit(
  timestampsMs: ArrayLike<number>,
  values: ArrayLike<number>,
  limit: number,
  direction: LimitDirection
): CrossingEstimate {
  const fit = leastSquares(timestampsMs, values);
  const sign = direction === 'above' ? 1 : -1;
  const gap = sign * (limit - fit.intercept);
  const at = (slope: number): number => (gap <= 0 ? 0 : sign * slope > 0 ? gap / (sign * slope) : Infinity);
  return {
    seconds: at(fit.slope),
    lowerSeconds: at(fit.slope + sign * Z90 * fit.slopeStdErr),
    upperSeconds: at(fit.slope - sign * Z90 * fit.slopeStdErr),
    method: 'predict_linear',
    fromMs: fit.lastMs,
  };
}

/** Least squares of value on time in seconds; intercept is the fitted value at the last sample. */
function leastSquares(
  timestampsMs: ArrayLike<number>,
  values: ArrayLike<number>
): { slope: number; intercept: number; slopeStdErr: number; lastMs: number } {
  let n = 0;
  let lastMs = NaN;
  let sumT = 0;
  let sumV = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) {
      n++;
      sumT += timestampsMs[i] / 1000;
      sumV += values[i];
      lastMs = timestampsMs[i];
    }
  }
  if (n < 2) {
    return { slope: NaN, intercept: n === 1 ? sumV : NaN, slopeStdErr: NaN, lastMs };
  }
  const meanT = sumT / n;
  const meanV = sumV / n;
  let stt = 0;
  let stv = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) {
      const dt = timestampsMs[i] / 1000 - meanT;
      stt += dt * dt;
      stv += dt * (values[i] - meanV);
    }
  }
  const slope = stt > 0 ? stv / stt : 0;
  let sse = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) {
      const e = values[i] - (meanV + slope * (timestampsMs[i] / 1000 - meanT));
      sse += e * e;
    }
  }
  const slopeStdErr = n > 2 && stt > 0 ? Math.sqrt(sse / (n - 2) / stt) : 0;
  return { slope, intercept: meanV + slope * (lastMs / 1000 - meanT), slopeStdErr, lastMs };
}
