import type { Clock } from '../clock';
import { LOOP_TICK_MS, monitorLoopDelay } from './loopDelay';

/** A clock the test moves by hand, and the monitor's timer, which the test fires when the loop "turns". */
function manualClock() {
  let t = 1_000;
  let tick: (() => void) | undefined;
  let stopped = false;
  const clock: Pick<Clock, 'now' | 'every'> = {
    now: () => t,
    every(ms, fn) {
      expect(ms).toBe(LOOP_TICK_MS);
      tick = fn;
      return () => {
        stopped = true;
      };
    },
  };
  return {
    clock,
    advance: (ms: number) => (t += ms),
    turn: () => tick!(),
    stopped: () => stopped,
  };
}

describe('monitorLoopDelay', () => {
  it('is not behind while its timer runs on time', () => {
    const c = manualClock();
    const monitor = monitorLoopDelay(c.clock);
    for (let i = 0; i < 5; i++) {
      c.advance(LOOP_TICK_MS);
      c.turn();
      expect(monitor.behindMs()).toBe(0);
    }
    c.advance(LOOP_TICK_MS / 2);
    expect(monitor.behindMs()).toBe(0);
  });

  it('is behind by how long the loop has not turned, before the timer runs again', () => {
    const c = manualClock();
    const monitor = monitorLoopDelay(c.clock);
    c.advance(LOOP_TICK_MS);
    c.turn();
    // One long synchronous handler: requests read after it in the same turn see the stall.
    c.advance(500);
    expect(monitor.behindMs()).toBe(500 - LOOP_TICK_MS);
  });

  it('is not behind once the loop turns again after a stall, the backlog having been shed', () => {
    const c = manualClock();
    const monitor = monitorLoopDelay(c.clock);
    c.advance(LOOP_TICK_MS + 700);
    expect(monitor.behindMs()).toBe(700);
    c.turn();
    expect(monitor.behindMs()).toBe(0);
    c.advance(LOOP_TICK_MS + 150);
    expect(monitor.behindMs()).toBe(150);
  });

  it('stops its timer', () => {
    const c = manualClock();
    monitorLoopDelay(c.clock).stop();
    expect(c.stopped()).toBe(true);
  });
});
