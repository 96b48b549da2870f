import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Random } from '../../src/detection';
import type { BackfillSeries } from '../harness/openmetrics';
import { startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { buildPipeline, TestClock } from './helpers';

const STEP = 300_000;
const T0 = Date.UTC(2025, 2, 3);
const N = 1600;
const at = (i: number): number => T0 + i * STEP;

/**
 * Target b of job api stops at STOP and comes back at BACK; c leaves for good at REMOVED; job db
 * all stop in [CUT, HEAL); job batch is scaled to zero at ZERO.
 */
const STOP = 1200;
const BACK = 1230;
const REMOVED = 1300;
const CUT = 1400;
const HEAL = 1420;
const ZERO = 1500;
/** "Within a few steps": Prometheus repeats a series' last value for its 5-minute lookback, then the detector needs a short run. */
const FEW_STEPS = 6;

/**
 * Seven targets of a noisy daily load, with Prometheus' `up` as a real server would record it:
 * 0 while a target's scrapes fail (it stays in service discovery), absent once it left it. The
 * backfill has no staleness markers, so a stopped series lasts one more step (the lookback).
 */
function fleet(): BackfillSeries[] {
  const rng = new Random(7);
  const series: BackfillSeries[] = [];
  const targets: Array<[string, string, (i: number) => 'up' | 'down' | 'gone']> = [
    ['api', 'a', () => 'up'],
    ['api', 'b', (i) => (i >= STOP && i < BACK ? 'down' : 'up')],
    ['api', 'c', (i) => (i >= REMOVED ? 'gone' : 'up')],
    ['api', 'd', () => 'up'],
    // A flaky exporter: its scrapes fail for 20 minutes every ~4 hours, as they always did.
    ['api', 'e', (i) => (i % 50 >= 20 && i % 50 < 24 ? 'down' : 'up')],
    ['db', 'x', (i) => (i >= CUT && i < HEAL ? 'down' : 'up')],
    ['db', 'y', (i) => (i >= CUT && i < HEAL ? 'down' : 'up')],
    ['db', 'z', (i) => (i >= CUT && i < HEAL ? 'down' : 'up')],
    // A job scaled to zero: its targets and their `up` go together.
    ['batch', 'p', (i) => (i >= ZERO ? 'gone' : 'up')],
    ['batch', 'q', (i) => (i >= ZERO ? 'gone' : 'up')],
  ];
  for (const [job, instance, state] of targets) {
    const load = { t: [] as number[], v: [] as number[] };
    const up = { t: [] as number[], v: [] as number[] };
    for (let i = 0; i < N; i++) {
      const s = state(i);
      if (s === 'up') {
        load.t.push(at(i));
        load.v.push(50 + 10 * Math.sin((2 * Math.PI * i) / 288) + 2 * (rng.next() + rng.next() - 1));
      }
      if (s !== 'gone') {
        up.t.push(at(i));
        up.v.push(s === 'up' ? 1 : 0);
      }
    }
    const labels = { job, instance };
    series.push({ name: 'load', labels, timestamps: load.t, values: load.v });
    series.push({ name: 'up', labels, timestamps: up.t, values: up.v });
  }
  return series;
}

const watch = (source?: string) => ({
  name: 'load',
  queries: { load: 'load' },
  target: ['job', 'instance'],
  step: '5m',
  history: '10d',
  lag: 0,
  ...(source ? { source: { prometheus: source } } : {}),
});

const id = (job: string, instance: string): string => `load{instance="${instance}",job="${job}"}`;

/** A proxy in front of Prometheus that can drop every connection (Prometheus down). */
async function switchableProxy(upstream: string): Promise<{ url: string; down: boolean; close(): Promise<void> }> {
  const state = { down: false };
  const server: Server = createServer(async (req, res) => {
    if (state.down) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) {
      chunks.push(c as Buffer);
    }
    const answer = await fetch(`${upstream}${req.url}`, {
      method: req.method,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: Buffer.concat(chunks),
    });
    res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(await answer.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get down() {
      return state.down;
    },
    set down(d: boolean) {
      state.down = d;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('series that stop: crash, partition, removal and a silent Prometheus (real Prometheus)', () => {
  let prom: RunningPrometheus;

  beforeAll(async () => {
    prom = await startPrometheus(fleet());
  }, 60_000);
  afterAll(() => prom?.stop());

  it('a target that stops opens one crash episode within a few steps, closed when it returns; all of a job stopping is one partition; a removed target is no fault', async () => {
    const h = buildPipeline({ prometheus: { url: prom.url }, watches: [watch()] }, new TestClock(at(N - 1)));
    try {
      await h.pipeline.runOnce();
      const stops = (await h.pipeline.anomalies({ watch: 'load', limit: 1000 })).filter((a) =>
        a.signals.some((s) => s.endsWith('(stopped)'))
      );

      const crash = stops.filter((a) => a.target === id('api', 'b'));
      console.log(
        stops
          .map((a) => `${a.target} ${a.failureModel}: steps ${(a.start - T0) / STEP}-${(a.end - T0) / STEP}`)
          .join('\n')
      );
      expect(crash).toHaveLength(1);
      expect(crash[0]).toMatchObject({ failureModel: 'crash', state: 'closed', signals: ['load (stopped)'] });
      expect(crash[0].start).toBeGreaterThan(at(STOP));
      expect(crash[0].start).toBeLessThanOrEqual(at(STOP + FEW_STEPS));
      // Open while the target is gone; ends when its samples come back.
      expect(crash[0].end).toBeGreaterThanOrEqual(at(BACK));
      expect(crash[0].end).toBeLessThanOrEqual(at(BACK + 2));

      // Job db stopped as one: a single partition episode, no crash of each of its targets.
      const db = stops.filter((a) => a.labels.job === 'db');
      expect(db).toHaveLength(1);
      expect(db[0]).toMatchObject({ failureModel: 'network_partition', target: id('db', 'x'), state: 'closed' });
      expect(db[0].start).toBeGreaterThan(at(CUT));
      expect(db[0].start).toBeLessThanOrEqual(at(CUT + FEW_STEPS));
      expect(db[0].end).toBeGreaterThanOrEqual(at(HEAL));

      // c left service discovery (its `up` went with it), batch was scaled to zero: no fault, and nothing else stopped.
      expect(stops.filter((a) => a.target === id('api', 'c') || a.labels.job === 'batch')).toEqual([]);
      // e misses samples as it always did: no fault.
      expect(stops).toHaveLength(2);

      // The gap did not pollute b's detector: back to scoring normally, no anomaly in the day after it returned.
      const after = (await h.pipeline.anomalies({ target: id('api', 'b'), from: at(BACK + 2), limit: 100 })).filter(
        (a) => a.start >= at(BACK + 2) && a.start < at(BACK + 288)
      );
      expect(after).toEqual([]);
      const b = h.pipeline.targets({ watch: 'load' }).find((t) => t.id === id('api', 'b'))!;
      expect(b.lastScoredAt).toBe(at(N - 1));
    } finally {
      await h.close(true);
    }
  }, 120_000);

  it('a crash episode open across a restart of the backend goes on, and closes once, when the target returns', async () => {
    const clock = new TestClock(at(STOP + 10));
    const first = buildPipeline({ prometheus: { url: prom.url }, watches: [watch()] }, clock);
    await first.pipeline.runOnce();
    const open = await first.pipeline.anomalies({ target: id('api', 'b'), state: 'open' });
    expect(open).toMatchObject([{ failureModel: 'crash', signals: ['load (stopped)'] }]);
    await first.close();
    clock.ms = at(BACK + 10);
    const second = buildPipeline({ prometheus: { url: prom.url }, watches: [watch()] }, clock, {
      dataDir: first.dataDir,
    });
    try {
      await second.pipeline.runOnce();
      const crashes = (await second.pipeline.anomalies({ target: id('api', 'b'), limit: 100 })).filter((a) =>
        a.signals.some((s) => s.endsWith('(stopped)'))
      );
      expect(crashes).toMatchObject([{ id: open[0].id, state: 'closed', start: open[0].start, end: at(BACK) }]);
    } finally {
      await second.close(true);
    }
  }, 120_000);

  it('a series that always had gaps does not alarm on the next one, after retraining too', async () => {
    const clock = new TestClock(at(1500));
    const h = buildPipeline({ prometheus: { url: prom.url }, watches: [watch()] }, clock);
    try {
      await h.pipeline.runOnce();
      await h.pipeline.retrain({ target: id('api', 'e') }, 'on_demand');
      for (let i = 1500; i < N - 1; i++) {
        clock.advance(STEP);
        await h.pipeline.runOnce();
      }
      const e = await h.pipeline.anomalies({ target: id('api', 'e'), limit: 100 });
      expect(e.filter((a) => a.signals.some((s) => s.endsWith('(stopped)')))).toEqual([]);
    } finally {
      await h.close(true);
    }
  }, 120_000);

  it('Prometheus not answering is no fault of the targets: nothing is scored, lastError says it, no episode', async () => {
    const proxy = await switchableProxy(prom.url);
    const clock = new TestClock(at(1000));
    const h = buildPipeline({ prometheus: { url: proxy.url }, pipeline: { retries: 0 }, watches: [watch()] }, clock);
    try {
      await h.pipeline.runOnce();
      proxy.down = true;
      for (let i = 0; i < 10; i++) {
        clock.advance(STEP);
        await h.pipeline.runOnce();
      }
      const status = h.pipeline.watches()[0];
      expect(status.degraded).toBe(true);
      expect(status.lastError?.kind).toBe('unreachable');
      expect(status.lastProcessedAt).toBe(at(1000));
      proxy.down = false;
      clock.advance(STEP);
      await h.pipeline.runOnce();
      expect(h.pipeline.watches()[0].lastProcessedAt).toBe(at(1011));
      const stops = (await h.pipeline.anomalies({ watch: 'load', limit: 1000 })).filter((a) =>
        a.signals.some((s) => s.endsWith('(stopped)'))
      );
      expect(stops).toEqual([]);
    } finally {
      await h.close(true);
      await proxy.close();
    }
  }, 120_000);
});
