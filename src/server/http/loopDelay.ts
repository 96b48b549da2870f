import type { Clock } from '../clock';

/** How far behind the event loop is now, in milliseconds. */
export type LoopDelaySource = () => number;

/** How often the monitor's timer is due: short, so a stall is seen within a few ms of its end. */
export const LOOP_TICK_MS = 20;

export interface LoopMonitor {
  behindMs: LoopDelaySource;
  stop(): void;
}

/**
 * Measures event-loop delay with a timer due every LOOP_TICK_MS: the loop is behind by how long that
 * timer is now overdue, that is how long the current turn of the loop has run. This is not
 * `perf_hooks.monitorEventLoopDelay`: its histogram records a delay only once the loop turns, but
 * requests read in the same turn as a long synchronous one (a big SQLite page) must already see it, or
 * each of them runs its own long handler while /healthz waits behind them all. A late turn is not held
 * against the next one: once the loop turns, the backlog was already shed and the loop is free. The
 * server stops it when it closes.
 */
export function monitorLoopDelay(clock: Pick<Clock, 'now' | 'every'>): LoopMonitor {
  let lastTick = clock.now();
  const stop = clock.every(LOOP_TICK_MS, () => {
    lastTick = clock.now();
  });
  return {
    behindMs: () => Math.max(0, clock.now() - lastTick - LOOP_TICK_MS),
    stop,
  };
}
