import { Lanes } from './lanes';

/** A promise and the functions that settle it, so the test decides when each piece of work ends. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

// A macrotask turn: every promise reaction queued before it has run (no time is waited on).
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('Lanes', () => {
  it('runs at most its width at once, each lane in turn, and a failure stays with its caller', async () => {
    const lanes = new Lanes(2);
    const work = Array.from({ length: 5 }, deferred);
    const started: number[] = [];
    const results = work.map((w, i) =>
      lanes
        .run(() => {
          started.push(i);
          return w.promise;
        })
        .then(
          () => `done ${i}`,
          (e: Error) => e.message
        )
    );
    await settle();
    expect(started).toEqual([0, 1]);

    // Lane 0 holds 0, 2 and 4; lane 1 holds 1 and 3. A failure in lane 0 does not hold up its lane.
    work[0].reject(new Error('boom'));
    await settle();
    expect(started).toEqual([0, 1, 2]);
    work[1].resolve();
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    work[2].resolve();
    work[3].resolve();
    await settle();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    work[4].resolve();
    await expect(Promise.all(results)).resolves.toEqual(['boom', 'done 1', 'done 2', 'done 3', 'done 4']);
  });
});
