import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { TimeToFailure } from '../../src/contract/pipeline';
import { Random } from '../../src/detection';
import { BASE_BYTES, LEAKING_POD, LIMIT_BYTES, leaks, nextMemory } from '../../demo/memory.mjs';
import { startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { buildPipeline, HOUR, MINUTE, TestClock, type Harness } from './helpers';

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
    const compose = parse(readFileSync(join(__dirname, '..', '..', 'compose', 'watches.yaml'), 'utf8'));
    const watch = compose.watches.find((w: { name: string }) => w.name === 'demo-memory');
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
