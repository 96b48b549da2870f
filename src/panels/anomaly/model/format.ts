import { dateTimeFormat } from '@grafana/data';
import type { TimeZone } from '@grafana/schema';

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

export function formatTime(ms: number, timeZone: TimeZone): string {
  return dateTimeFormat(ms, { format: 'MMM D, HH:mm', timeZone });
}

/** "10:02–10:15" within a day, full dates otherwise. */
export function formatSpan(startMs: number, endMs: number, timeZone: TimeZone): string {
  const start = formatTime(startMs, timeZone);
  if (startMs === endMs) {
    return start;
  }
  const end = formatTime(endMs, timeZone);
  const sameDay = start.slice(0, start.indexOf(',')) === end.slice(0, end.indexOf(','));
  return `${start}–${sameDay ? end.slice(end.indexOf(',') + 2) : end}`;
}
