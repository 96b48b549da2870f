import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '../../src/detection';
import type { Pipeline } from '../../src/server/pipeline/pipeline';
import type { RangeQuerier } from '../../src/server/pipeline/watchRunner';
import { buildPipeline, TestClock } from './helpers';

const MINUTE = 60_000;
const T0 = Date.UTC(2025, 2, 3);
const DRIFT_START = T0 + 6 * 60 * MINUTE;
const END = T0 + 9 * 60 * MINUTE;
const PODS = ['web-a', 'web-b', 'web-c', 'web-d'];

/** Four replicas' CPU, noisy alike, until web-d drifts away from its siblings. */
const querier: RangeQuerier = {
  queryRange: async (q) =>
    PODS.map((pod, p) => {
      const n = (q.end - q.start) / q.stepMs + 1;
      const timestamps = Float64Array.from({ length: n }, (_, i) => q.start + i * q.stepMs);
      const values = timestamps.map((t) => {
        const rng = new Random(t / MINUTE + 1000 * p);
        const drift = pod === 'web-d' && t >= DRIFT_START ? (0.1 * (t - DRIFT_START)) / (60 * MINUTE) : 0;
        return 0.5 + 0.1 * Math.sin((2 * Math.PI * t) / (120 * MINUTE)) + 0.01 * (rng.next() - 0.5) + drift;
      });
      return { labels: { deployment: 'web', pod }, timestamps, values };
    }),
};

const WEB = {
  name: 'web',
  queries: { cpu: 'cpu' },
  target: ['deployment', 'pod'],
  peers: ['deployment'],
  step: '1m',
  history: '6h',
  lag: 0,
};
const open = (dataDir: string, clock: TestClock) =>
  buildPipeline({ watches: [WEB] }, clock, { dataDir, extra: { querierFor: () => querier } });

/** What an anomaly found against the peers says, comparable between runs. */
const peerAnomalies = (p: Pipeline) =>
  p
    .anomalies({ watch: 'web', limit: 1000 })
    .filter((a) => a.signals.some((s) => s.includes('vs peers')))
    .map(({ labels, start, end, peakScore, severity, failureModel, state }) => ({
      pod: labels.pod,
      start,
      end,
      peakScore,
      severity,
      failureModel,
      state,
    }));

describe('peer groups across a restart', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    dirs.push(mkdtempSync(join(tmpdir(), 'fp-peers-')));
    return dirs.at(-1)!;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('a backend restarted while a replica departs scores it as one that never stopped', async () => {
    const clock = new TestClock(T0 + 6 * 60 * MINUTE);
    const reference = open(tempDir(), clock);
    await reference.pipeline.runOnce();
    for (; clock.ms < END;) {
      clock.advance(MINUTE);
      await reference.pipeline.runOnce();
    }
    const expected = peerAnomalies(reference.pipeline);
    await reference.close();
    expect(expected.map((a) => a.pod)).toEqual(['web-d']);
    expect(expected[0].start).toBeGreaterThan(DRIFT_START);

    // The same minute by minute, stopped while web-d's anomaly is open and started again.
    const dir = tempDir();
    clock.ms = T0 + 6 * 60 * MINUTE;
    let first = open(dir, clock);
    await first.pipeline.runOnce();
    for (; !first.pipeline.anomalies({ watch: 'web', state: 'open' }).length && clock.ms < END;) {
      clock.advance(MINUTE);
      await first.pipeline.runOnce();
    }
    expect(clock.ms).toBeLessThan(END - 30 * MINUTE);
    for (let restarts = 0; restarts < 3; restarts++) {
      await first.close();
      first = open(dir, clock);
      clock.advance(5 * MINUTE);
      await first.pipeline.runOnce();
    }
    for (; clock.ms < END;) {
      clock.advance(MINUTE);
      await first.pipeline.runOnce();
    }
    expect(peerAnomalies(first.pipeline)).toEqual(expected);
    await first.close();
  }, 60_000);
});
