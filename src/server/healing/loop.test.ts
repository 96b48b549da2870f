import pino from 'pino';
import { StoreUnavailableError } from '../store/postgres/pool';
import type { Clock } from '../clock';
import { EngineLoop } from './loop';

/** A clock whose ticks the test fires by hand. */
function handClock() {
  const ticks: Array<() => void> = [];
  const clock: Clock = {
    now: () => 0,
    elapsed: () => 0,
    sleep: async () => undefined,
    timeout: () => new AbortController().signal,
    every: (_ms, fn) => {
      ticks.push(fn);
      return () => ticks.splice(ticks.indexOf(fn), 1);
    },
    after: () => () => undefined,
  };
  return { clock, fire: () => ticks.forEach((fn) => fn()) };
}

it('survives a tick whose store is away: the error is logged and the next tick runs again', async () => {
  const logged: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line).msg) });
  const { clock, fire } = handClock();
  let calls = 0;
  const loop = new EngineLoop({
    clock,
    logger,
    runTick: async () => {
      calls += 1;
      if (calls <= 3) {
        throw new StoreUnavailableError('PostgreSQL at db:5432/fp is unavailable: Connection terminated');
      }
    },
  });
  loop.start(1000);
  await loop.idle();
  expect(logged).toEqual(['healing tick failed; the next tick tries again']);
  // The same failure again is not an error line a tick (a full disk lasts hours); going through again is said once.
  fire();
  await loop.idle();
  fire();
  await loop.idle();
  expect(calls).toBe(3);
  expect(logged).toEqual(['healing tick failed; the next tick tries again']);
  fire();
  await loop.idle();
  expect(calls).toBe(4);
  expect(logged).toEqual(['healing tick failed; the next tick tries again', 'healing ticks go through again']);
  // A tick asked for while one runs runs once after it, never alongside.
  const overlapping = [loop.tick(), loop.tick(), loop.tick()];
  await Promise.all(overlapping);
  expect(calls).toBe(6);
  await loop.stop();
});
