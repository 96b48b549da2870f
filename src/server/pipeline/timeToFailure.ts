import { LIMIT_DIRECTIONS } from '../../detection';
import {
  FAR_LIMIT,
  noForecastSchema,
  type FarLimit,
  type NoForecast,
  type TimeToFailure,
} from '../../contract/pipeline';
import type { SignalModel } from './signal';

/** What alerts and severity use: the earliest plausible crossing (the interval's lower bound). */
export function earliest(ttf: TimeToFailure): number {
  return ttf.lowerSeconds ?? ttf.seconds ?? Infinity;
}

/** The earliest plausible crossing in seconds from step t (0: due), for a forecast made at t or before. */
export function earliestLeft(ttf: TimeToFailure, t: number): number {
  return Math.max(0, earliest(ttf) - (t - ttf.fromMs) / 1000);
}

/** The reason nearer a forecast of two (noForecastSchema's order). */
export function nearerForecast(a: NoForecast | null, b: NoForecast): NoForecast {
  const rank = noForecastSchema.options;
  return a !== null && rank.indexOf(a) > rank.indexOf(b) ? a : b;
}

/**
 * The soonest justified crossing of a signal's limits from step t (stepMs: the watch's step), or why
 * the data supports none. The signal has a limit, and so a forecaster.
 */
export function soonestCrossing(s: SignalModel, t: number, stepMs: number): TimeToFailure | NoForecast {
  const limits = s.spec.limits!;
  let best: TimeToFailure | null = null;
  let why: NoForecast = 'too little history';
  for (const direction of LIMIT_DIRECTIONS) {
    const limit = limits[direction];
    if (limit === undefined) {
      continue;
    }
    const f = s.forecaster!.crossing(limit, direction);
    if (typeof f === 'string') {
      why = nearerForecast(why, s.forecaster!.farFrom(limit, direction) === null ? f : FAR_LIMIT);
      continue;
    }
    const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
    const candidate: TimeToFailure = {
      signal: s.spec.name,
      limit,
      direction,
      seconds: f.seconds,
      lowerSeconds: f.lowerSeconds,
      upperSeconds: finite(f.upperSeconds),
      fromMs: t,
      stepMs,
    };
    if (best === null || earliest(candidate) < earliest(best)) {
      best = candidate;
    }
  }
  return best ?? why;
}

/** The limit a signal's FAR_LIMIT reason is about, read again from its forecaster's history (null: it gives another). */
export function farLimitOf(s: SignalModel): FarLimit | null {
  if (s.noForecast !== FAR_LIMIT) {
    return null;
  }
  for (const direction of LIMIT_DIRECTIONS) {
    const limit = s.spec.limits?.[direction];
    const seen = limit === undefined ? null : s.forecaster!.farFrom(limit, direction);
    if (seen !== null) {
      return { signal: s.spec.name, limit: limit!, direction, seen };
    }
  }
  return null;
}
