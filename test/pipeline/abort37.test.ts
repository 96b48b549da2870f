import type { RetrainResponse } from '../../src/contract/pipeline';
import { jobWatch } from '../harness/spikingFleet';
import { stallingPrometheus, type StallingPrometheus } from './abort37Prometheus';
import { aTurn, buildPipeline, HOUR, MINUTE, queryErrors, TestClock, type Harness } from './helpers';

// A query Prometheus never answers used to run on until the client's own timeout: past a retraining's
// deadline the run stopped waiting for it, but its request stayed open, was retried after the timeout,
// and its failure then marked the watch degraded; and a stopping backend waited for a cycle's query
// as long (each retry's too). Now the deadline and the stop abort the requests themselves, over real
// HTTP, and an aborted query degrades nothing.

const NOW = Date.UTC(2025, 3, 7, 12);

/** Longer than the retraining's deadline (an hour here), so only an abort closes a held request before it. */
const CLIENT_TIMEOUT = '3h';

/** How the watch reaches the server: straight, or through Grafana's data-source proxy. */
const sources: Array<[string, (url: string) => Record<string, unknown>]> = [
  ['Prometheus', (url) => ({ prometheus: { url, timeout: CLIENT_TIMEOUT }, watches: [jobWatch] })],
  [
    "a Grafana data source (Grafana's proxy)",
    (url) => ({
      prometheus: { timeout: CLIENT_TIMEOUT },
      grafana: { url, token: 'service-account-token' },
      watches: [{ ...jobWatch, source: { grafana: 'prom' } }],
    }),
  ],
];

describe.each(sources)('a query held unanswered, the watch reading %s', (_name, config) => {
  let prom: StallingPrometheus;
  let h: Harness;
  let clock: TestClock;

  beforeEach(async () => {
    prom = await stallingPrometheus();
    clock = new TestClock(NOW);
    h = buildPipeline(config(prom.url), clock);
  });

  afterEach(async () => {
    await prom.close();
    await h.close(true);
  });

  it("is aborted at the retraining's deadline: its request closed, no retry, and the watch not degraded", async () => {
    await h.pipeline.runOnce();
    const [target] = h.pipeline.targets().map((t) => t.id);
    prom.stall();
    let answer: RetrainResponse | undefined;
    const retraining = h.pipeline.retrain({ target }, 'on_demand').then((a) => (answer = a));
    await prom.reached();

    // The deadline aborts the request: its own timeout goes with it, and its socket closes.
    clock.advance(HOUR);
    await aTurn();
    expect(clock.pending).toBe(0);
    await prom.closed();
    await retraining;
    expect(answer).toEqual({
      trained: 0,
      failed: [{ target: 'w (all targets)', error: expect.stringContaining('abandoned: still running after 60 min') }],
    });

    // Nothing of the abandoned read is left to time out, be retried and fail.
    expect(prom.held).toBe(1);
    expect(h.pipeline.watches()[0]).toEqual(expect.objectContaining({ degraded: false, lastError: null }));
    expect(await queryErrors(h)).toEqual([]);
  });

  it('is aborted when the backend stops: the replay keeps the answers it read, and the watch is not degraded', async () => {
    // The replay of three hours reads one step, then two, then four: the third answer is held.
    prom.stall(2);
    const cycle = h.pipeline.runOnce();
    await prom.reached();
    const stopped = h.pipeline.stop();
    await aTurn();
    expect(clock.pending).toBe(0);
    await prom.closed();
    await stopped;
    await cycle;

    expect(prom.asked).toBe(3);
    const through = NOW - 3 * HOUR + 2 * MINUTE;
    expect(h.pipeline.watches()[0]).toEqual(
      expect.objectContaining({ degraded: false, lastError: null, lastProcessedAt: through })
    );
    expect(await h.pipeline.repo.lastProcessed('w')).toBe(through);
    expect(await queryErrors(h)).toEqual([]);
  });

  it("is aborted when the backend stops, a cycle's only answer: nothing is stored, nothing failed", async () => {
    await h.pipeline.runOnce();
    const before = h.pipeline.watches()[0].lastProcessedAt;
    clock.advance(MINUTE);
    prom.stall();
    const cycle = h.pipeline.runOnce();
    await prom.reached();
    const stopped = h.pipeline.stop();
    await aTurn();
    expect(clock.pending).toBe(0);
    await prom.closed();
    await stopped;
    await cycle;

    expect(h.pipeline.watches()[0]).toEqual(
      expect.objectContaining({ degraded: false, lastError: null, lastProcessedAt: before })
    );
    expect(await h.pipeline.repo.lastProcessed('w')).toBe(before);
    expect(await queryErrors(h)).toEqual([]);
  });
});
