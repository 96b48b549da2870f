import { rmSync } from 'node:fs';
import { Random } from '../../src/detection';
import { FixedMembership, TargetShare } from '../../src/server/coordination/members';
import type { Pipeline } from '../../src/server/pipeline/pipeline';
import { SqlitePipelineRepository } from '../../src/server/pipeline/store/sqliteRepository';
import type { RangeQuerier } from '../../src/server/pipeline/watchRunner';
import { buildPipeline, TestClock, type Harness } from './helpers';

// Issue 16: two replicas share a watch with peer groups. Telling a replica that departs from its
// siblings (the byzantine failure model) needs every sibling in one process, so the replicas
// partition such a watch by peer group, not by target: the departing pod is found as one process finds it.
const MINUTE = 60_000;
const T0 = Date.UTC(2025, 2, 3);
const DRIFT_START = T0 + 6 * 60 * MINUTE;
const END = T0 + 8 * 60 * MINUTE;
const DEPLOYMENTS = ['web', 'api', 'cart', 'auth', 'search', 'mail'];
const PODS = ['a', 'b', 'c', 'd'];

/** Four pods per deployment with the same noisy CPU, until web-d drifts away from its siblings. */
const fleet: RangeQuerier = {
  queryRange: async (q) =>
    DEPLOYMENTS.flatMap((deployment, d) =>
      PODS.map((p, i) => {
        const pod = `${deployment}-${p}`;
        const n = Math.max(0, Math.floor((q.end - q.start) / q.stepMs) + 1);
        const timestamps = Float64Array.from({ length: n }, (_, k) => q.start + k * q.stepMs);
        const values = timestamps.map((t) => {
          const rng = new Random(t / MINUTE + 1000 * (4 * d + i));
          const drift = pod === 'web-d' && t >= DRIFT_START ? (0.1 * (t - DRIFT_START)) / (60 * MINUTE) : 0;
          return 0.5 + 0.1 * Math.sin((2 * Math.PI * t) / (120 * MINUTE)) + 0.01 * (rng.next() - 0.5) + drift;
        });
        return { labels: { deployment, pod }, timestamps, values };
      })
    ),
};

const WATCH = {
  name: 'cpu',
  queries: { cpu: 'cpu' },
  target: ['deployment', 'pod'],
  peers: ['deployment'],
  step: '1m',
  history: '6h',
  lag: 0,
};

const peerAnomalies = async (p: Pipeline) =>
  (await p.anomalies({ watch: 'cpu', limit: 1000 }))
    .filter((a) => a.signals.some((s) => s.includes('vs peers')))
    .map(({ labels, start, state }) => ({ pod: labels.pod, start, state }));

async function runUntil(clock: TestClock, pipelines: Pipeline[], until: number): Promise<void> {
  for (const p of pipelines) {
    await p.runOnce();
  }
  while (clock.ms < until) {
    clock.advance(MINUTE);
    for (const p of pipelines) {
      await p.runOnce();
    }
  }
}

const storedPeers = (h: Harness) => new SqlitePipelineRepository(h.store.db, () => 0).loadPeers('cpu');

describe('a watch with peer groups shared by two replicas', () => {
  const opened: Harness[] = [];
  afterAll(() => {
    for (const h of opened) {
      rmSync(h.dataDir, { recursive: true, force: true });
    }
  });

  /** One process watching the whole fleet from DRIFT_START to END: what the replicas must match. */
  async function oneProcess(clock: TestClock) {
    clock.ms = DRIFT_START;
    const alone = buildPipeline({ watches: [WATCH] }, clock, { extra: { querierFor: () => fleet } });
    opened.push(alone);
    await runUntil(clock, [alone.pipeline], END);
    const result = { anomalies: await peerAnomalies(alone.pipeline), peers: await storedPeers(alone) };
    await alone.close();
    clock.ms = DRIFT_START;
    return result;
  }

  /** Two replicas on one store, sharing by `members` (a replica leaves when it is taken off the list). */
  function twoReplicas(clock: TestClock, members: string[], querier: RangeQuerier, pipeline: object = {}) {
    const replica = (identity: string, dataDir?: string) =>
      buildPipeline({ watches: [WATCH], pipeline }, clock, {
        dataDir,
        extra: {
          querierFor: () => querier,
          ownership: new TargetShare(new FixedMembership(identity, members), clock, 0),
        },
      });
    const a = replica(members[0]);
    opened.push(a);
    return [a, replica(members[1], a.dataDir)];
  }

  it('keeps every peer group on one replica, so a pod departing from its siblings is found as one process finds it', async () => {
    const clock = new TestClock(DRIFT_START);
    const alone = await oneProcess(clock);
    expect(alone.anomalies.map((a) => a.pod)).toEqual(['web-d']);

    const [a, b] = twoReplicas(clock, ['pod-a', 'pod-b'], fleet);
    try {
      await runUntil(clock, [a.pipeline, b.pipeline], END);
      const held = (h: Harness) => new Set(h.pipeline.targets({ limit: 1000 }).map((t) => t.labels.pod));
      const [ofA, ofB] = [held(a), held(b)];
      expect(ofA.size).toBeGreaterThan(0);
      expect(ofB.size).toBeGreaterThan(0);
      expect(ofA.size + ofB.size).toBe(DEPLOYMENTS.length * PODS.length);
      for (const deployment of DEPLOYMENTS) {
        const pods = PODS.map((p) => `${deployment}-${p}`);
        // All of a group on one replica, none on the other.
        expect([pods.every((p) => ofA.has(p)), pods.every((p) => ofB.has(p))]).toContain(true);
      }
      // Both replicas write to the one store: the departure is recorded once, as one process records it.
      expect(await peerAnomalies(a.pipeline)).toEqual(alone.anomalies);
      // And every group's detector is stored as one process stores it: each replica writes its own.
      expect(await storedPeers(a)).toEqual(alone.peers);
    } finally {
      await a.close();
      await b.close();
    }
  }, 120_000);

  it('moves a peer group to the replica that takes over from its stored state, mid-departure, as one process scores it', async () => {
    const clock = new TestClock(DRIFT_START);
    const alone = await oneProcess(clock);
    // Answers of at most 100 points (4 steps of the 24 series): the takeover's gap is 10 steps.
    const answers: number[] = [];
    const counted: RangeQuerier = {
      queryRange: async (q) => {
        const series = await fleet.queryRange(q);
        answers.push(series.reduce((n, s) => n + s.timestamps.length, 0));
        return series;
      },
    };
    const members = ['pod-a', 'pod-b'];
    const [a, b] = twoReplicas(clock, members, counted, { maxPointsPerAnswer: 100 });
    try {
      // Until the departure is open; then the replica holding web's group is gone (no more cycles)
      // and the other goes on alone for 10 minutes before the members' list drops it.
      await runUntil(clock, [a.pipeline, b.pipeline], DRIFT_START + 45 * MINUTE);
      expect((await peerAnomalies(a.pipeline)).map((x) => [x.pod, x.state])).toEqual([['web-d', 'open']]);
      const webOnA = a.pipeline.targets({ limit: 1000 }).some((t) => t.labels.pod === 'web-d');
      const survivor = webOnA ? b : a;
      clock.advance(MINUTE);
      await runUntil(clock, [survivor.pipeline], DRIFT_START + 55 * MINUTE);
      members.splice(0, members.length, webOnA ? 'pod-b' : 'pod-a');
      clock.advance(MINUTE);
      await runUntil(clock, [survivor.pipeline], END);
      expect(survivor.pipeline.targets({ limit: 1000 }).length).toBe(DEPLOYMENTS.length * PODS.length);
      expect(await peerAnomalies(survivor.pipeline)).toEqual(alone.anomalies);
      // The group went on from the gone replica's last checkpoint: its detector ends where one process's does.
      expect(await storedPeers(survivor)).toEqual(alone.peers);
      expect(Math.max(...answers)).toBeLessThanOrEqual(100);
    } finally {
      await a.close();
      await b.close();
    }
  }, 180_000);
});
