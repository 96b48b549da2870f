import { forecastStale, secondsLeft, type Severity, type TimeToFailure } from '../../../contract/pipeline';
import { formatTime } from '../../../utils/time';

export const SEVERITY_COLOR: Record<Severity, 'red' | 'orange' | 'blue' | 'purple'> = {
  critical: 'red',
  high: 'orange',
  medium: 'blue',
  low: 'purple',
};

/** "47 min", "3 h 5 min", "2 d 4 h". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return `${s} s`;
  }
  const m = Math.round(s / 60);
  if (m < 60) {
    return `${m} min`;
  }
  const h = Math.floor(m / 60);
  if (h < 48) {
    return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  }
  return `${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

/** A time to failure as the app says it at `nowMs`: from now, at its crossing time, and since when if out of date. */
export interface TimeToFailureWords {
  /** "in 3 h 5 min", "due", or "already above 0.95" (a limit crossed when it was made). */
  left: string;
  /** The best crossing time, in the user's zone. */
  at: string;
  /** When it was made, when that is more than FORECAST_STALE_STEPS steps ago (the backend has had no newer). */
  asOf?: string;
}

export function timeToFailureWords(ttf: TimeToFailure, nowMs: number): TimeToFailureWords {
  const left = secondsLeft(ttf, nowMs);
  return {
    left: ttf.seconds === 0 ? `already ${ttf.direction} ${ttf.limit}` : left > 0 ? `in ${formatDuration(left)}` : 'due',
    at: formatTime(ttf.fromMs + ttf.seconds * 1000),
    ...(forecastStale(ttf, nowMs) ? { asOf: formatTime(ttf.fromMs) } : {}),
  };
}
