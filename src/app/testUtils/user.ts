import userEvent, { PointerEventsCheckLevel } from '@testing-library/user-event';

/**
 * userEvent for the page tests, fast on a loaded machine: no delay between keystrokes (each would
 * wait for a timer), and no pointer-events check (it calls getComputedStyle on every ancestor per
 * click, and jsdom resolves each against all of Grafana's emotion rules: seconds per click).
 */
export const setupUser = () => userEvent.setup({ delay: null, pointerEventsCheck: PointerEventsCheckLevel.Never });
