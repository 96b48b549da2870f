import { FORECAST_STALE_STEPS, forecastStale, secondsLeft } from '../../../contract/pipeline';
import type { Crossing } from './analysis';

/** A crossing as the panel says it at the dashboard's now. */
export interface Countdown {
  /** What the time left counts from: the dashboard's now, or the forecast's making when that came later. */
  fromMs: number;
  /** Seconds from `fromMs` to the best estimate (0: due or passed; Infinity: not within the horizon). */
  secondsLeft: number;
  /** When the forecast was made, when that is not the dashboard's now. */
  asOfMs?: number;
}

/**
 * The time left to a crossing from `nowMs`, the dashboard's now (its time range's end). A backend
 * forecast made more than FORECAST_STALE_STEPS steps before it is out of date, so it says when it was
 * made. One made as long after it (a range in the past: the backend gives its latest forecast only)
 * knew nothing of that moment: it counts from its own making, and says when that was too.
 */
export function countdown(c: Crossing, nowMs: number): Countdown {
  const fromMs = Math.max(nowMs, c.fromMs);
  const later = c.stepMs !== undefined && c.fromMs - nowMs > FORECAST_STALE_STEPS * c.stepMs;
  return {
    fromMs,
    secondsLeft: secondsLeft(c, fromMs),
    ...(forecastStale(c, nowMs) || later ? { asOfMs: c.fromMs } : {}),
  };
}
