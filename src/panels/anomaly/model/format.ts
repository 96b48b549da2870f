import { dateTimeFormat } from '@grafana/data';
import type { TimeZone } from '@grafana/schema';
import { formatTime as formatTimeWithZone, resolveTimeZone } from '../../../utils/time';
import type { Scorer } from './analysis';

/** "45 s", "47 min", "2 h 10 min", "3 d 4 h": the two largest units, as an operator reads a countdown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) {
    return 'beyond the forecast horizon';
  }
  const s = Math.max(0, Math.round(seconds));
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['min', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0 || (parts.length === 0 && size === 1)) {
      parts.push(`${n} ${unit}`);
      rest -= n * size;
    }
    if (parts.length === 2 || (parts.length === 1 && rest === 0)) {
      break;
    }
  }
  return parts.join(' ');
}

const DAY_TIME = 'MMM D, HH:mm';

/** "Jan 8, 06:00 UTC", in the dashboard's time zone, which it names. */
export function formatTime(ms: number, timeZone: TimeZone): string {
  return formatTimeWithZone(ms, { format: DAY_TIME, timeZone });
}

/** "Jan 8, 10:02–10:15 CET" within a day, full dates otherwise; the zone said once, at the end. */
export function formatSpan(startMs: number, endMs: number, timeZone: TimeZone): string {
  if (startMs === endMs) {
    return formatTime(startMs, timeZone);
  }
  const zone = resolveTimeZone(timeZone);
  const start = dateTimeFormat(startMs, { format: DAY_TIME, timeZone: zone });
  const end = dateTimeFormat(endMs, { format: DAY_TIME, timeZone: zone });
  const sameDay = start.slice(0, start.indexOf(',')) === end.slice(0, end.indexOf(','));
  return `${start}–${sameDay ? end.slice(end.indexOf(',') + 2) : end} ${dateTimeFormat(endMs, { format: 'z', timeZone: zone })}`;
}

/** Said after anything the browser forecast, so it is never read as the backend's forecast. */
export function estimateNote(source: Scorer): string {
  return source === 'browser' ? ' (browser estimate)' : '';
}
