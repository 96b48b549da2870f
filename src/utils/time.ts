import { dateTimeFormat, getTimeZone } from '@grafana/data';
import type { TimeZone } from '@grafana/schema';

/**
 * The IANA zone times are shown in: the one asked for (a dashboard's), else Grafana's default
 * (the signed-in user's preference, which Grafana installs as the time zone resolver). "browser"
 * and an unset preference name no zone, so they become the browser's own, whose abbreviation can
 * then be shown beside each time.
 */
export function resolveTimeZone(timeZone?: TimeZone): string {
  const zone = getTimeZone({ timeZone });
  return !zone || zone === 'browser' ? Intl.DateTimeFormat().resolvedOptions().timeZone : zone;
}

/** "2026-12-04 15:02:18 CET": a time always with its zone, so nobody has to guess which one. */
export function formatTime(ms: number, options: { timeZone?: TimeZone; format?: string } = {}): string {
  return dateTimeFormat(ms, {
    timeZone: resolveTimeZone(options.timeZone),
    format: `${options.format ?? 'YYYY-MM-DD HH:mm:ss'} z`,
  });
}
