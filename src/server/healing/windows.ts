import type { AutoWindows, Policy, Reason, TimeWindow, Weekday } from '../../contract/healing';

const WEEKDAYS: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** The weekday and minute of the day at `at` in `timeZone` (daylight saving included, by Intl). */
export function localTime(at: number, timeZone: string): { day: Weekday; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(at));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = WEEKDAYS.find((d) => d === part('weekday').toLowerCase().slice(0, 3)) ?? 'sun';
  return { day, minute: Number(part('hour')) * 60 + Number(part('minute')) };
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const dayBefore = (day: Weekday) => WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7];

/** Inside one window: a window whose `to` is before its `from` runs past midnight into the next day. */
export function inTimeWindow(window: TimeWindow, local: { day: Weekday; minute: number }): boolean {
  const from = minutes(window.from);
  const to = minutes(window.to);
  if (from < to) {
    return window.days.includes(local.day) && local.minute >= from && local.minute < to;
  }
  return (
    (window.days.includes(local.day) && local.minute >= from) ||
    (window.days.includes(dayBefore(local.day)) && local.minute < to)
  );
}

export function inAutoWindows(autoWindows: AutoWindows, at: number): boolean {
  const local = localTime(at, autoWindows.timeZone);
  return autoWindows.windows.some((w) => inTimeWindow(w, local));
}

export const describeWindows = (w: AutoWindows) =>
  `${w.windows.map((x) => `${x.days.join(',')} ${x.from}-${x.to}`).join('; ')} (${w.timeZone})`;

/** Why the policy's `auto` does not hold at `at`: outside all of its windows. */
export function outsideWindow(
  policy: Pick<Policy, 'name' | 'autoWindows'> | undefined,
  at: number
): Reason | undefined {
  const windows = policy?.autoWindows;
  if (!windows || inAutoWindows(windows, at)) {
    return undefined;
  }
  return {
    kind: 'outside-window',
    message: `outside policy ${policy.name}'s window for automatic actions, ${describeWindows(windows)}`,
  };
}
