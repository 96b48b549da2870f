import type { Anomaly, TimeToFailure } from '../../src/contract/pipeline';
import { Random } from '../../src/detection';
import { BASE_BYTES, LEAKING_POD, LIMIT_BYTES, leaks, nextMemory } from '../../demo/memory.mjs';
import { startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { buildPipeline, composeWatch, type Harness, HOUR, MINUTE, TestClock } from './helpers';

const T0 = Date.UTC(2025, 2, 3, 9);
const TOTAL = 24 * 2 ** 30;

/**
 * A quiet node's memory as node-exporter reports it, from the minute its Prometheus started:
 * 16-31% of 24 GiB, drifting and jumping as a desktop's does (the first observation).
 */
function quietNode(): { timestamps: number[]; available: number[] } {
  const rng = new Random(13);
  const timestamps: number[] = [];
  const available: number[] = [];
  let used = 0.16;
  for (let t = T0; t <= T0 + HOUR; t += 15_000) {
    used = Math.min(0.31, Math.max(0.16, used + 0.004 * (rng.next() - 0.45)));
    timestamps.push(t);
    available.push(Math.round(TOTAL * (1 - used)));
  }
  return { timestamps, available };
}

describe('a fresh backend on a quiet node (real Prometheus)', () => {
  let prom: RunningPrometheus;
  let h: Harness;
  const clock = new TestClock(T0 + 2 * MINUTE);

  beforeAll(async () => {
    const node = quietNode();
    const labels = { instance: 'desktop:9100', job: 'node' };
    prom = await startPrometheus([
      { name: 'node_memory_MemAvailable_bytes', labels, timestamps: node.timestamps, values: node.available },
      {
        name: 'node_memory_MemTotal_bytes',
        labels,
        timestamps: node.timestamps,
        values: node.timestamps.map(() => TOTAL),
      },
    ]);
    h = buildPipeline(
      {
        prometheus: { url: prom.url },
        watches: [
          {
            name: 'node-memory',
            queries: { memory: '1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes' },
            target: ['instance'],
            step: '1m',
            history: '7d',
            limits: { memory: 0.95 },
          },
        ],
      },
      clock
    );
  }, 120_000);

  afterAll(async () => {
    await h?.close(true);
    await prom?.stop();
  });

  it('predicts no failure in its first hour, and says how far its learning is', async () => {
    const progress: number[] = [];
    for (; clock.ms <= T0 + HOUR; clock.advance(5 * MINUTE)) {
      await h.pipeline.runOnce();
      const [target] = h.pipeline.targets();
      expect(target.timeToFailure).toBeNull();
      expect(target.learning).toBe(true);
      progress.push(target.learningProgress);
    }
    expect(await h.pipeline.predictions({ limit: 100 })).toEqual([]);
    const exported = await h.metrics.getSingleMetric('failureprophet_time_to_failure_seconds')!.get();
    expect(exported.values).toEqual([]);
    const learning = await h.metrics.getSingleMetric('failureprophet_learning_progress')!.get();
    expect(learning.values).toHaveLength(1);
    // An hour of 1-minute steps out of 750: about 8%, rising every cycle.
    expect(progress.at(-1)).toBeGreaterThan(0.07);
    expect(progress.at(-1)).toBeLessThan(0.1);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    const [target] = h.pipeline.targets();
    expect(target.learningSecondsLeft).toBeGreaterThan(11 * 3600);
  }, 120_000);
});

/**
 * The compose demo's leaking replica as Prometheus scrapes it (every 15 s) from the workload's
 * start at T0: its memory second by second as demo/workload.mjs makes it, until it restarts at its
 * limit (`restartMs` after T0), and a minute beyond.
 */
function demoLeak(): { timestamps: number[]; memory: number[]; restarts: number[]; restartMs: number } {
  const rng = new Random(34);
  const out = { timestamps: [] as number[], memory: [] as number[], restarts: [] as number[], restartMs: NaN };
  let bytes = BASE_BYTES;
  let restarts = 0;
  for (let elapsed = 0; Number.isNaN(out.restartMs) || elapsed <= out.restartMs + MINUTE; elapsed += 1000) {
    const next = nextMemory(bytes, leaks(LEAKING_POD, elapsed, restarts), () => rng.next());
    bytes = next.bytes;
    if (next.restarted) {
      restarts++;
      out.restartMs = elapsed;
    }
    if (elapsed % 15_000 === 0) {
      out.timestamps.push(T0 + elapsed);
      out.memory.push(Math.round(bytes));
      out.restarts.push(restarts);
    }
  }
  return out;
}

describe("the compose demo's leak, watched as compose/watches.yaml says (real Prometheus)", () => {
  const leak = demoLeak();
  let prom: RunningPrometheus;
  let h: Harness;
  const clock = new TestClock(T0 + 2 * MINUTE);

  beforeAll(async () => {
    const labels = { namespace: 'demo', deployment: 'shop', pod: LEAKING_POD, job: 'demo-workload' };
    const { timestamps } = leak;
    prom = await startPrometheus([
      { name: 'demo_memory_working_set_bytes', labels, timestamps, values: leak.memory },
      { name: 'demo_memory_limit_bytes', labels, timestamps, values: timestamps.map(() => LIMIT_BYTES) },
      { name: 'demo_restarts_total', labels, timestamps, values: leak.restarts },
    ]);
    const watch = composeWatch('demo-memory');
    h = buildPipeline({ prometheus: { url: prom.url }, watches: [watch] }, clock);
  }, 120_000);

  afterAll(async () => {
    await h?.close(true);
    await prom?.stop();
  });

  it("shows shop-0's time to failure about two hours after start, as the README says, until the leak's crossing, through a retraining", async () => {
    const crossing = T0 + leak.restartMs;
    // About 3 h in (demo/memory.mjs), give or take the noise.
    expect(leak.restartMs).toBeGreaterThan(2.75 * HOUR);
    expect(leak.restartMs).toBeLessThan(3.25 * HOUR);
    const shown: TimeToFailure[] = [];
    let firstShownMs: number | null = null;
    /** Hours after start at which the forecast, once shown, was missing. */
    const lost: number[] = [];
    for (; clock.ms < crossing; clock.advance(5 * MINUTE)) {
      if (clock.ms === T0 + 152 * MINUTE) {
        // "Retrain now" rebuilds the forecaster from the watch's history: it must hold 2 h.
        expect(await h.pipeline.retrain({ watch: 'demo-memory' }, 'on_demand')).toMatchObject({ trained: 1 });
      }
      await h.pipeline.runOnce();
      const ttf = h.pipeline.targets().find((t) => t.labels.pod === LEAKING_POD)!.timeToFailure;
      if (ttf) {
        shown.push(ttf);
        firstShownMs ??= clock.ms - T0;
      } else if (firstShownMs !== null) {
        lost.push((clock.ms - T0) / HOUR);
      }
    }
    expect(lost).toEqual([]);
    // "About two hours": the forecaster needs two hours of history, and reaches half of it ahead.
    expect(firstShownMs).not.toBeNull();
    expect(firstShownMs!).toBeLessThanOrEqual(2.5 * HOUR);
    expect(new Set(shown.map((t) => `${t.signal} ${t.direction} ${t.limit}`))).toEqual(new Set(['memory above 1']));
    // Each forecast puts the crossing within a quarter of an hour of the restart.
    const far = shown.filter((t) => Math.abs(t.fromMs + t.seconds * 1000 - crossing) > 15 * MINUTE);
    expect(far).toEqual([]);
  }, 120_000);
});

/** The compose demo's fault schedule (demo/workload.mjs, its defaults): from 6 minutes, every 20 minutes. */
const FAULT_START = 6 * MINUTE;
const FAULT_CYCLE = 20 * MINUTE;
const SPIKE = { from: 2 * MINUTE, length: 3 * MINUTE };
const DEPARTURE = { from: 4 * MINUTE, length: 4 * MINUTE };
const DEMO_PODS = ['shop-0', 'shop-1', 'shop-2'];
const DEPARTING_POD = 'shop-2';

/** Whether `elapsed` ms after the workload's start is within a fault of the schedule. */
function withinFault(elapsed: number, fault: { from: number; length: number }): boolean {
  const phase = elapsed % FAULT_CYCLE;
  return phase >= FAULT_START + fault.from && phase < FAULT_START + fault.from + fault.length;
}

/**
 * The demo workload's request-duration summaries as Prometheus scrapes them (every 15 s) for
 * `minutes` from its start at T0: per replica 10 requests a second of 50-60 ms, 850-860 ms during a
 * latency spike; the departing replica is not scraped while it is away.
 */
function demoLatency(minutes: number): Array<{
  name: string;
  labels: Record<string, string>;
  timestamps: number[];
  values: number[];
}> {
  const rng = new Random(8);
  const totals = DEMO_PODS.map(() => ({ requests: 0, seconds: 0 }));
  const scraped = DEMO_PODS.map(() => ({ timestamps: [] as number[], sum: [] as number[], count: [] as number[] }));
  for (let elapsed = 0; elapsed <= minutes * MINUTE; elapsed += 1000) {
    DEMO_PODS.forEach((pod, i) => {
      totals[i].requests += 10;
      totals[i].seconds += 10 * (0.05 + rng.next() * 0.01 + (withinFault(elapsed, SPIKE) ? 0.8 : 0));
      const away = pod === DEPARTING_POD && withinFault(elapsed, DEPARTURE);
      if (elapsed % 15_000 === 0 && !away) {
        scraped[i].timestamps.push(T0 + elapsed);
        scraped[i].sum.push(totals[i].seconds);
        scraped[i].count.push(totals[i].requests);
      }
    });
  }
  return DEMO_PODS.flatMap((pod, i) => {
    const labels = { namespace: 'demo', deployment: 'shop', pod, job: 'demo-workload' };
    const { timestamps, sum, count } = scraped[i];
    return [
      { name: 'demo_request_duration_seconds_sum', labels, timestamps, values: sum },
      { name: 'demo_request_duration_seconds_count', labels, timestamps, values: count },
    ];
  });
}

describe("the compose demo's latency spikes, watched as compose/watches.yaml says (real Prometheus)", () => {
  let prom: RunningPrometheus;
  let h: Harness;
  const clock = new TestClock(T0 + 2 * MINUTE);

  beforeAll(async () => {
    prom = await startPrometheus(demoLatency(12));
    const watch = composeWatch('demo-latency');
    h = buildPipeline({ prometheus: { url: prom.url }, watches: [watch] }, clock);
  }, 120_000);

  afterAll(async () => {
    await h?.close(true);
    await prom?.stop();
  });

  it('opens an anomaly on each replica at the first spike (8 minutes in), listed within ten minutes of start', async () => {
    const spikeAt = T0 + FAULT_START + SPIKE.from;
    /** Per replica, the first anomaly its latency's own detector joined (listed by ten minutes: the loop stops there). */
    const first = new Map<string, Anomaly>();
    for (; clock.ms <= T0 + 10 * MINUTE; clock.advance(MINUTE)) {
      await h.pipeline.runOnce();
      for (const a of await h.pipeline.anomalies({ watch: 'demo-latency', limit: 100 })) {
        // 'latency' is the signal's own detector; 'latency (vs peers)' the peer comparison, which may open one earlier.
        if (a.signals.includes('latency') && !first.has(a.labels.pod)) {
          first.set(a.labels.pod, a);
        }
      }
    }
    // Each peaks at the spike: one the detector had learned as normal (its 2.5 hours of learning) would open nothing.
    const seen = DEMO_PODS.map((pod) => {
      const peak = first.get(pod)?.peak;
      return {
        pod,
        peak: peak?.signal,
        inSpike: peak !== undefined && peak.at >= spikeAt && peak.at < spikeAt + SPIKE.length,
      };
    });
    expect(seen).toEqual(DEMO_PODS.map((pod) => ({ pod, peak: 'latency', inSpike: true })));
  }, 120_000);
});
