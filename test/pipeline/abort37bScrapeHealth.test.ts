import { jobWatch } from '../harness/spikingFleet';
import { stallingPrometheus, type StallingPrometheus } from './abort37Prometheus';
import { buildPipeline, HOUR, TestClock, type Harness } from './helpers';

// The scrape-health look-up (`up`, asked when a target lacks samples: vanished.ts) did not take the
// backend's stop: a stopping backend waited for it as long as Prometheus held it (the client's timeout
// times its retries). Now the stop closes its request too, over real HTTP.

const NOW = Date.UTC(2025, 3, 7, 12);

let prom: StallingPrometheus;
let h: Harness;
let clock: TestClock;

beforeEach(async () => {
  prom = await stallingPrometheus({ jobs: 3, holds: (query) => query.includes('(up)'), gaps: true });
  clock = new TestClock(NOW);
  h = buildPipeline({ prometheus: { url: prom.url, timeout: '3h' }, watches: [jobWatch] }, clock);
});

afterEach(async () => {
  await prom.close();
  await h.close(true);
});

it('is aborted when the backend stops: its request closed, the replay keeping the answers scored before it', async () => {
  // The replay reads one step (every job sampled), then two (j0 lacks one): `up` is asked, and held.
  const cycle = h.pipeline.runOnce();
  await prom.reached();
  const stopped = h.pipeline.stop();
  await prom.closed();
  await stopped;
  await cycle;

  expect(clock.pending).toBe(0);
  expect(prom.held).toBe(1);
  const through = NOW - 3 * HOUR;
  expect(h.pipeline.watches()[0]).toEqual(
    expect.objectContaining({ degraded: false, lastError: null, lastProcessedAt: through })
  );
  expect(await h.pipeline.repo.lastProcessed('w')).toBe(through);
});
