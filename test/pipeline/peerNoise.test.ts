import { Random } from '../../src/detection';
import { startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { buildPipeline, composeWatch, HOUR, MINUTE, TestClock } from './helpers';

const T0 = Date.UTC(2025, 2, 3, 9);
const PODS = ['shop-0', 'shop-1', 'shop-2'];

/** demo/workload.mjs's schedule (its defaults): from 6 minutes, every 20 minutes, a spike on every replica and shop-2 away. */
function withinFault(elapsed: number, from: number, length: number): boolean {
  const phase = elapsed % (20 * MINUTE);
  return phase >= 6 * MINUTE + from && phase < 6 * MINUTE + from + length;
}

/**
 * The compose demo's request-duration summaries as Prometheus scrapes them (every 15 s) for an
 * hour, with the workload's own noise drawn from `seed`: per replica 10 requests a second of 50-60
 * ms (850-860 ms in a spike), shop-2 not scraped while it is away.
 */
function demoLatency(seed: number) {
  const rng = new Random(seed);
  const totals = PODS.map(() => ({ requests: 0, seconds: 0 }));
  const scraped = PODS.map(() => ({ timestamps: [] as number[], sum: [] as number[], count: [] as number[] }));
  for (let elapsed = 0; elapsed <= HOUR; elapsed += 1000) {
    PODS.forEach((pod, i) => {
      totals[i].requests += 10;
      totals[i].seconds += 10 * (0.05 + rng.next() * 0.01 + (withinFault(elapsed, 2 * MINUTE, 3 * MINUTE) ? 0.8 : 0));
      if (elapsed % 15_000 === 0 && !(pod === 'shop-2' && withinFault(elapsed, 4 * MINUTE, 4 * MINUTE))) {
        scraped[i].timestamps.push(T0 + elapsed);
        scraped[i].sum.push(totals[i].seconds);
        scraped[i].count.push(totals[i].requests);
      }
    });
  }
  return PODS.flatMap((pod, i) => {
    const labels = { namespace: 'demo', deployment: 'shop', pod, job: 'demo-workload' };
    const { timestamps, sum, count } = scraped[i];
    return [
      { name: 'demo_request_duration_seconds_sum', labels, timestamps, values: sum },
      { name: 'demo_request_duration_seconds_count', labels, timestamps, values: count },
    ];
  });
}

// Seeds whose noise alone opened 3 and 5 "(vs peers)" anomalies when 1.4826 MAD of 3 replicas
// (which averages 1/1.5 of their spread) scaled the departures.
describe.each([13, 24])("the compose demo's replicas, noise seeded %i (real Prometheus)", (seed) => {
  let prom: RunningPrometheus;

  beforeAll(async () => {
    prom = await startPrometheus(demoLatency(seed));
  }, 120_000);

  afterAll(async () => {
    await prom?.stop();
  });

  it('tell no replica apart from its peers in the first hour: none departs in value', async () => {
    const watch = composeWatch('demo-latency');
    const clock = new TestClock(T0 + 2 * MINUTE);
    const h = buildPipeline({ prometheus: { url: prom.url }, watches: [watch] }, clock);
    try {
      for (; clock.ms <= T0 + HOUR; clock.advance(MINUTE)) {
        await h.pipeline.runOnce();
      }
      const anomalies = await h.pipeline.anomalies({ watch: 'demo-latency', limit: 100 });
      const vsPeers = anomalies
        .filter((a) => a.signals.some((s) => s.includes('vs peers')))
        .map((a) => `${a.labels.pod} at ${((a.start - T0) / MINUTE).toFixed(2)} min`);
      expect(vsPeers).toEqual([]);
      // The spikes are still found, by each replica's own detector.
      expect(anomalies.some((a) => a.signals.includes('latency'))).toBe(true);
    } finally {
      await h.close(true);
    }
  }, 120_000);
});
