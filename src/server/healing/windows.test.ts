import { autoWindowsSchema } from '../../contract/healing';
import { inAutoWindows, localTime, outsideWindow } from './windows';

const weekdays = autoWindowsSchema.parse({
  timeZone: 'Europe/Berlin',
  windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' }],
});
const at = (iso: string) => Date.parse(iso);

describe('auto windows', () => {
  it('weekdays 08:00-18:00 in Berlin, summer time included', () => {
    // Monday 2025-06-02: Berlin is UTC+2.
    expect(inAutoWindows(weekdays, at('2025-06-02T05:59:00Z'))).toBe(false);
    expect(inAutoWindows(weekdays, at('2025-06-02T06:00:00Z'))).toBe(true);
    expect(inAutoWindows(weekdays, at('2025-06-02T15:59:00Z'))).toBe(true);
    expect(inAutoWindows(weekdays, at('2025-06-02T16:00:00Z'))).toBe(false);
    // Saturday noon.
    expect(inAutoWindows(weekdays, at('2025-06-07T10:00:00Z'))).toBe(false);
    // Winter: UTC+1, so 07:30 UTC is 08:30 local on Monday 2025-01-06.
    expect(inAutoWindows(weekdays, at('2025-01-06T07:30:00Z'))).toBe(true);
    expect(localTime(at('2025-01-06T07:30:00Z'), 'Europe/Berlin')).toEqual({ day: 'mon', minute: 8 * 60 + 30 });
  });

  it('a window past midnight belongs to the day it starts on', () => {
    const nights = autoWindowsSchema.parse({ windows: [{ days: ['fri'], from: '22:00', to: '06:00' }] });
    expect(inAutoWindows(nights, at('2025-06-06T23:00:00Z'))).toBe(true); // Friday night
    expect(inAutoWindows(nights, at('2025-06-07T05:59:00Z'))).toBe(true); // Saturday early
    expect(inAutoWindows(nights, at('2025-06-07T06:00:00Z'))).toBe(false);
    expect(inAutoWindows(nights, at('2025-06-05T23:00:00Z'))).toBe(false); // Thursday night
  });

  it('says which window the policy has when outside it; a policy without windows always holds', () => {
    expect(outsideWindow({ name: 'p', autoWindows: weekdays }, at('2025-06-07T10:00:00Z'))).toEqual({
      kind: 'outside-window',
      message: "outside policy p's window for automatic actions, mon,tue,wed,thu,fri 08:00-18:00 (Europe/Berlin)",
    });
    expect(outsideWindow({ name: 'p' }, at('2025-06-07T10:00:00Z'))).toBeUndefined();
  });

  it('refuses an unknown time zone and a malformed time', () => {
    expect(
      autoWindowsSchema.safeParse({ timeZone: 'Mars/Olympus', windows: [{ from: '08:00', to: '18:00' }] }).success
    ).toBe(false);
    expect(autoWindowsSchema.safeParse({ windows: [{ from: '8:00', to: '18:00' }] }).success).toBe(false);
    expect(autoWindowsSchema.safeParse({ windows: [{ from: '24:00', to: '18:00' }] }).success).toBe(false);
  });
});
