import pino from 'pino';
import { StoreUnavailableError } from '../store/postgres/pool';
import type { Clock } from '../clock';
import { EngineLoop } from './loop';

/** A clock whose ticks the test fires by hand. */
function handClock() {
  const ticks: Array<() => void> = [];
  const clock: Clock = {
    now: () => 0,
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
  const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(JSON.parse(line).msg) });
  const { clock, fire } = handClock();
  let calls = 0;
  const loop = new EngineLoop({
    clock,
    logger,
    runTick: async () => {
      calls += 1;
      if (calls === 1) {
        throw new StoreUnavailableError('PostgreSQL at db:5432/fp is unavailable: Connection terminated');
      }
    },
  });
  loop.start(1000);
  await loop.idle();
  expect(logged).toEqual(['healing tick failed; the next tick tries again']);
  fire();
  await loop.idle();
  expect(calls).toBe(2);
  // A tick asked for while one runs runs once after it, never alongside.
  const overlapping = [loop.tick(), loop.tick(), loop.tick()];
  await Promise.all(overlapping);
  expect(calls).toBe(4);
  await loop.stop();
});
