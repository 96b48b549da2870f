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

/** Four replicas' CPU, noisy alike, until web-d drifts away from its siblings; a pod in `gone` has no samples from then on. */
const fleet = (gone: Record<string, number> = {}): RangeQuerier => ({
  queryRange: async (q) =>
    PODS.map((pod, p) => {
      const last = Math.min(q.end, gone[pod] ?? Infinity);
      const n = Math.max(0, Math.floor((last - q.start) / q.stepMs) + 1);
      const timestamps = Float64Array.from({ length: n }, (_, i) => q.start + i * q.stepMs);
      const values = timestamps.map((t) => {
        const rng = new Random(t / MINUTE + 1000 * p);
        const drift = pod === 'web-d' && t >= DRIFT_START ? (0.1 * (t - DRIFT_START)) / (60 * MINUTE) : 0;
        return 0.5 + 0.1 * Math.sin((2 * Math.PI * t) / (120 * MINUTE)) + 0.01 * (rng.next() - 0.5) + drift;
      });
      return { labels: { deployment: 'web', pod }, timestamps, values };
    }).filter((series) => series.timestamps.length > 0),
});

const WEB = {
  name: 'web',
  queries: { cpu: 'cpu' },
  target: ['deployment', 'pod'],
  peers: ['deployment'],
  step: '1m',
  history: '6h',
  lag: 0,
};
const open = (dataDir: string, clock: TestClock, querier = fleet(), pipeline = {}) =>
  buildPipeline({ watches: [WEB], pipeline }, clock, { dataDir, extra: { querierFor: () => querier } });

/** What an anomaly found against the peers says, comparable between runs. */
const peerAnomalies = async (p: Pipeline) =>
  (await p.anomalies({ watch: 'web', limit: 1000 }))
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
    const expected = await peerAnomalies(reference.pipeline);
    await reference.close();
    expect(expected.map((a) => a.pod)).toEqual(['web-d']);
    expect(expected[0].start).toBeGreaterThan(DRIFT_START);

    // The same minute by minute, stopped while web-d's anomaly is open and started again.
    const dir = tempDir();
    clock.ms = T0 + 6 * 60 * MINUTE;
    let first = open(dir, clock);
    await first.pipeline.runOnce();
    for (; !(await first.pipeline.anomalies({ watch: 'web', state: 'open' })).length && clock.ms < END;) {
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
    expect(await peerAnomalies(first.pipeline)).toEqual(expected);
    await first.close();
  }, 60_000);

  it.each([
    ['an unreadable column', 'not json'],
    [
      'a group whose members are not target ids',
      JSON.stringify({ 'deployment=web/cpu': { members: { a: 1 }, state: {} } }),
    ],
    [
      'a group whose state is not a peer group',
      JSON.stringify({ 'deployment=web/cpu': { members: ['a'], state: { format: 'x' } } }),
    ],
  ])('relearns peer groups stored as %s, and runs on', async (_, stored) => {
    const clock = new TestClock(T0 + 7 * 60 * MINUTE);
    const dir = tempDir();
    const first = open(dir, clock);
    await first.pipeline.runOnce();
    first.store.db.prepare('UPDATE pipeline_watches SET peers = ?').run(stored);
    await first.close();
    const second = open(dir, clock);
    clock.advance(5 * MINUTE);
    await second.pipeline.runOnce();
    expect(second.pipeline.watches()[0]).toMatchObject({ degraded: false, lastProcessedAt: clock.ms });
    expect(Object.keys(await second.pipeline.repo.loadPeers('web'))).toEqual(['deployment=web/cpu']);
    await second.close();
  });

  it('forgets a peer group once its members are gone', async () => {
    const scaledDown = T0 + 7 * 60 * MINUTE;
    const clock = new TestClock(scaledDown + 10 * MINUTE);
    const h = open(tempDir(), clock, fleet({ 'web-c': scaledDown, 'web-d': scaledDown }), { staleAfter: '30m' });
    await h.pipeline.runOnce();
    // Two replicas left cannot tell an outlier: the four-replica group stays until its members are forgotten.
    expect(Object.values(await h.pipeline.repo.loadPeers('web')).map((g) => g.members)).toEqual([
      PODS.map((pod) => `web{deployment="web",pod="${pod}"}`),
    ]);
    clock.advance(30 * MINUTE);
    await h.pipeline.runOnce();
    expect(h.pipeline.targets().map((t) => t.labels.pod)).toEqual(['web-a', 'web-b']);
    expect(await h.pipeline.repo.loadPeers('web')).toEqual({});
    await h.close();
  }, 60_000);
});
