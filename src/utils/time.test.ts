import { setTimeZoneResolver } from '@grafana/data';
import { formatTime, resolveTimeZone } from './time';

// 2026-12-04 14:02:18 UTC (winter: Berlin is UTC+1) and 2026-07-01 10:00:00 UTC (summer: UTC+2).
const WINTER = Date.UTC(2026, 11, 4, 14, 2, 18);
const SUMMER = Date.UTC(2026, 6, 1, 10, 0, 0);

describe('times with their zone', () => {
  // Jest runs with TZ=UTC (jest.config.js), so the browser's own zone is UTC here.
  afterEach(() => setTimeZoneResolver(() => 'browser'));

  it('shows a time in the browser zone, UTC, or a named zone, with the zone beside it', () => {
    expect(formatTime(WINTER, { timeZone: 'browser' })).toBe('2026-12-04 14:02:18 UTC');
    expect(formatTime(WINTER, { timeZone: 'utc' })).toBe('2026-12-04 14:02:18 UTC');
    expect(formatTime(WINTER, { timeZone: 'Europe/Berlin' })).toBe('2026-12-04 15:02:18 CET');
    expect(formatTime(SUMMER, { timeZone: 'Europe/Berlin' })).toBe('2026-07-01 12:00:00 CEST');
  });

  it('keeps the zone after a custom format', () => {
    expect(formatTime(WINTER, { timeZone: 'Europe/Berlin', format: 'HH:mm' })).toBe('15:02 CET');
  });

  it("without a zone asked for, follows Grafana's default (the user's preference)", () => {
    expect(formatTime(WINTER)).toBe('2026-12-04 14:02:18 UTC');
    setTimeZoneResolver(() => 'Europe/Berlin');
    expect(resolveTimeZone()).toBe('Europe/Berlin');
    expect(formatTime(WINTER)).toBe('2026-12-04 15:02:18 CET');
    // A dashboard's zone wins over the preference.
    expect(formatTime(WINTER, { timeZone: 'utc' })).toBe('2026-12-04 14:02:18 UTC');
  });

  it('names the browser its own IANA zone, so its abbreviation can be shown', () => {
    expect(resolveTimeZone('browser')).toBe('UTC');
  });
});
