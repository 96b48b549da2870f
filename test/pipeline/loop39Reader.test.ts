import { readInAnswers, WatchQueryError } from '../../src/server/pipeline/query';
import { PrometheusError } from '../../src/server/prometheus/types';

// The one reader of a range answer by answer (the catch-up, a takeover's gap, retraining): what it
// asks, what it hands on, and where it says it stopped.

const STEP = 60_000;

const outgrown = () => new WatchQueryError('w', new PrometheusError('too_large', 'the answer passed 64 KiB'), 'x');

/** The answers asked, as [first step, last step] in steps; the fetch answers what `answer` says. */
function reader(answer: (from: number, to: number, n: number) => Promise<string> = async (f, t) => `${f}-${t}`) {
  const asked: Array<[number, number]> = [];
  const handled: string[] = [];
  return {
    asked,
    handled,
    fetch: (from: number, to: number) => {
      asked.push([from / STEP, to / STEP]);
      return answer(from, to, asked.length);
    },
    handle: async (a: string) => {
      handled.push(a);
    },
  };
}

it('reads [from, to] in answers of steps() steps, each handled in turn, and says it read through `to`', async () => {
  const r = reader();
  const through = await readInAnswers({ from: 0, to: 9 * STEP, stepMs: STEP }, () => 4, r.fetch, r.handle);
  expect(r.asked).toEqual([
    [0, 3],
    [4, 7],
    [8, 9],
  ]);
  expect(r.handled).toHaveLength(3);
  expect(through).toBe(9 * STEP);
});

it('once the stop aborts, ends after the answer handled and says the last step it read', async () => {
  const stop = new AbortController();
  const r = reader();
  const through = await readInAnswers(
    { from: 0, to: 9 * STEP, stepMs: STEP, stop: stop.signal },
    () => 2,
    r.fetch,
    async (a) => {
      await r.handle(a);
      if (r.handled.length === 2) {
        stop.abort();
      }
    }
  );
  expect(r.asked).toEqual([
    [0, 1],
    [2, 3],
  ]);
  expect(through).toBe(3 * STEP);
});

it('an answer the stop aborted ends the read at the answer before it, or rejects when it was the first', async () => {
  const stop = new AbortController();
  const stopped = new Error('stopping');
  const abortsSecond = reader(async (f, t, n) => {
    if (n === 2) {
      stop.abort(stopped);
      throw stopped;
    }
    return `${f}-${t}`;
  });
  const through = await readInAnswers(
    { from: 0, to: 9 * STEP, stepMs: STEP, stop: stop.signal },
    () => 3,
    abortsSecond.fetch,
    abortsSecond.handle
  );
  expect(through).toBe(2 * STEP);
  expect(abortsSecond.handled).toEqual([`0-${2 * STEP}`]);

  const first = new AbortController();
  const abortsFirst = reader(async () => {
    first.abort(stopped);
    throw stopped;
  });
  await expect(
    readInAnswers(
      { from: 0, to: 9 * STEP, stepMs: STEP, stop: first.signal },
      () => 3,
      abortsFirst.fetch,
      abortsFirst.handle
    )
  ).rejects.toBe(stopped);
});

it('asks an outgrown answer again with half its steps, grows no more after it, and fails on one step too large', async () => {
  const r = reader(async (f, t) => {
    if (t - f >= 4 * STEP) {
      throw outgrown();
    }
    return `${f}-${t}`;
  });
  const through = await readInAnswers({ from: 0, to: 11 * STEP, stepMs: STEP }, () => 8, r.fetch, r.handle);
  expect(r.asked).toEqual([
    [0, 7],
    [0, 3],
    [4, 7],
    [8, 11],
  ]);
  expect(through).toBe(11 * STEP);

  const single = reader(async () => {
    throw outgrown();
  });
  await expect(
    readInAnswers({ from: 0, to: 3 * STEP, stepMs: STEP }, () => 1, single.fetch, single.handle)
  ).rejects.toBeInstanceOf(WatchQueryError);
});
