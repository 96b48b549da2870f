import type { ModelVersion } from '../../src/contract/pipeline';
import { RetrainStoppedError } from '../../src/server/pipeline/retrainDeadline';
import { jobWatch } from '../harness/spikingFleet';
import { stallingPrometheus, type StallingPrometheus } from './abort37Prometheus';
import { buildPipeline, queryErrors, TestClock, type Harness } from './helpers';

// A stopping backend used to wait for a retraining in flight until its deadline (an hour or more for a
// real fleet's history), through the watch's queue and the shared pick-up: a pod given Kubernetes' 30 s
// to stop hung. Now the stop cuts the retraining short, its held request closed over real HTTP: nothing
// of it is stored, and it failed nothing (its caller hears the backend is stopping).

const NOW = Date.UTC(2025, 3, 7, 12);

/** Longer than the retraining's deadline (an hour here), so only an abort closes a held request before it. */
const CLIENT_TIMEOUT = '3h';

let prom: StallingPrometheus;
let h: Harness;
let clock: TestClock;

beforeEach(async () => {
  prom = await stallingPrometheus();
  clock = new TestClock(NOW);
  h = buildPipeline({ prometheus: { url: prom.url, timeout: CLIENT_TIMEOUT }, watches: [jobWatch] }, clock);
});

afterEach(async () => {
  await prom.close();
  await h.close(true);
});

describe.each<[ModelVersion['reason'], () => Promise<string | undefined>]>([
  ['on_demand', async () => h.pipeline.targets()[0].id],
  ['scheduled', async () => undefined],
])('a %s retraining whose read is held', (reason, targetOf) => {
  it('is cut short by the stop, without waiting for its deadline: its request closed, nothing stored, nothing failed', async () => {
    await h.pipeline.runOnce();
    const target = await targetOf();
    const modelsBefore = await h.pipeline.models({ limit: 100 });
    prom.stall();
    const retraining = h.pipeline.retrain(target === undefined ? {} : { target }, reason).then(
      (answer) => ({ answer }),
      (err: unknown) => ({ err })
    );
    await prom.reached();

    // The clock stays where it is: the deadline is an hour away.
    const stopped = h.pipeline.stop();
    await prom.closed();
    await stopped;
    expect(clock.pending).toBe(0);

    // Rejected as stopped, not answered with its targets failed.
    const outcome = await retraining;
    expect(outcome).toEqual({ err: expect.any(RetrainStoppedError) });
    expect(String((outcome as { err: Error }).err.message)).toMatch(/^the backend is stopping/);
    expect(await h.pipeline.models({ limit: 100 })).toEqual(modelsBefore);
    expect(prom.held).toBe(1);
    expect(h.pipeline.watches()[0]).toEqual(expect.objectContaining({ degraded: false, lastError: null }));
    expect(await queryErrors(h)).toEqual([]);
  });
});

it('answers a retraining asked once the backend stops at once, as stopped, reading nothing', async () => {
  await h.pipeline.runOnce();
  const [target] = h.pipeline.targets().map((t) => t.id);
  const asked = prom.asked;
  await h.pipeline.stop();
  await expect(h.pipeline.retrain({ target }, 'on_demand')).rejects.toThrow(RetrainStoppedError);
  expect(prom.asked).toBe(asked);
});
