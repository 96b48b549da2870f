import { rmSync } from 'node:fs';
import { Random } from '../../src/detection';
import { KubeMembership } from '../../src/server/coordination/kubeMembers';
import { TargetShare } from '../../src/server/coordination/members';
import { kubeClientFromOptions } from '../../src/server/kubernetes/client';
import { kubernetesOptionsSchema } from '../../src/server/kubernetes/config';
import { TOKEN } from '../kube/harness';
import { startKubeTestServer, type KubeTestServer } from '../kube/server';
import { startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { buildPipeline, TestClock, type Harness } from './helpers';

// Two replicas share one watch: one SQLite file stands in for the shared store, the Kubernetes test
// server holds their member Leases, one real Prometheus serves every series, and one clock moves
// them all. Each scores a disjoint part; when one is killed (no more renewals, no flush), the other
// takes its targets over from their checkpoints, and every anomaly is recorded exactly once.
const STEP = 300_000;
const T0 = Date.UTC(2025, 2, 3);
const N = 1600;
const JOBS = Array.from({ length: 12 }, (_, j) => `job-${j}`);
const LEASE_SECONDS = 600;
const SETTLE_MS = STEP;
const KILLED_AT = 1104;
/** When the second replica joins, in the joining test: spikes follow at once. */
const JOIN_AT = 1100;
const ALL_IDS = JOBS.map((j) => `load{job="${j}"}`).sort();

/** A noisy daily series per job with spikes at steps of its own, some while the replica holding it is dead. */
function spiky(j: number) {
  const rng = new Random(100 + j);
  const spikes = new Map([
    [300 + 7 * j, 30],
    [620 + 5 * j, 40],
    // Open on some targets when pod-a dies: pod-b must continue that anomaly, not open another. Far beyond
    // anything seen: a spike like the earlier ones is a window shape the detector's ARTime already knows.
    ...(j % 2 === 1 ? [[KILLED_AT - 2, 120] as [number, number]] : []),
    // Just after pod-a dies, before pod-b takes over: only the gap's replay finds these on pod-a's targets.
    [KILLED_AT + 1 + (j % 3), 50],
    [1400 + j, 65],
  ]);
  const timestamps = Array.from({ length: N }, (_, i) => T0 + i * STEP);
  const values = timestamps.map(
    (t, i) =>
      50 +
      10 * Math.sin((2 * Math.PI * (t - T0)) / 86_400_000) +
      2 * (rng.next() + rng.next() - 1) +
      (spikes.get(i) ?? 0)
  );
  return { name: 'load_avg', labels: { job: JOBS[j] }, timestamps, values };
}

const config = (url: string) => ({
  prometheus: { url },
  watches: [{ name: 'load', queries: { load: 'load_avg' }, target: ['job'], step: '5m', history: '10d', lag: 0 }],
});

const summary = async (h: Harness) =>
  (await h.pipeline.anomalies({ limit: 5000 }))
    .map(({ target, start, end, peakScore, severity, state }) => ({ target, start, end, peakScore, severity, state }))
    .sort((a, b) => a.target.localeCompare(b.target) || a.start - b.start);

describe('watches shared by two replicas (member Leases, one store, real Prometheus)', () => {
  let prom: RunningPrometheus;
  let kube: KubeTestServer;

  beforeAll(async () => {
    prom = await startPrometheus(JOBS.map((_, j) => spiky(j)));
    kube = await startKubeTestServer({ token: TOKEN });
  }, 60_000);
  afterAll(async () => {
    await kube?.close();
    await prom?.stop();
  });

  let expected: Awaited<ReturnType<typeof summary>> | undefined;
  const end = T0 + (N - 1) * STEP;
  const ids = (h: Harness) => h.pipeline.targets({ limit: 1000 }).map((t) => t.id);

  /** The reference (one backend that ran throughout), and two replicas on one store with member Leases under `prefix`. */
  async function replicas(prefix: string) {
    if (!expected) {
      const reference = buildPipeline(config(prom.url), new TestClock(end));
      await reference.pipeline.runOnce();
      expected = await summary(reference);
      await reference.close(true);
    }
    const clock = new TestClock(T0 + 1040 * STEP);
    const client = kubeClientFromOptions(
      kubernetesOptionsSchema.parse({ mode: 'endpoint', url: kube.url, token: TOKEN, requestTimeoutMs: 2000 }),
      clock
    );
    const member = (identity: string) =>
      new KubeMembership({
        client,
        namespace: 'failureprophet',
        prefix,
        identity,
        leaseDurationSeconds: LEASE_SECONDS,
      });
    const [ma, mb] = [member('pod-a'), member('pod-b')];
    const a = buildPipeline(config(prom.url), clock, { extra: { ownership: new TargetShare(ma, clock, SETTLE_MS) } });
    const b = buildPipeline(config(prom.url), clock, {
      dataDir: a.dataDir,
      extra: { ownership: new TargetShare(mb, clock, SETTLE_MS) },
    });
    return { a, b, ma, mb, clock, expected };
  }

  /** Every anomaly recorded exactly once, as the backend that ran throughout recorded them. */
  async function expectExactlyOnce(h: Harness, reference: Awaited<ReturnType<typeof summary>>) {
    const anomalyIds = (await h.pipeline.anomalies({ limit: 5000 })).map((x) => x.id);
    expect(new Set(anomalyIds).size).toBe(anomalyIds.length);
    expect(await summary(h)).toEqual(reference);
  }

  it('splits the targets, and after one replica dies the other scores its targets from their checkpoints, each anomaly once', async () => {
    const { a, b, ma, mb, clock, expected: reference } = await replicas('failureprophet');
    try {
      await ma.heartbeat();
      await mb.heartbeat();
      await ma.heartbeat();
      // Neither knows its share before the member list has held: nothing is scored, the history waits.
      await a.pipeline.runOnce();
      await b.pipeline.runOnce();
      expect([ids(a), ids(b)]).toEqual([[], []]);
      expect(a.pipeline.watches()[0].lastProcessedAt).toBeNull();

      for (let i = 1041; i < KILLED_AT; i++) {
        clock.advance(STEP);
        await ma.heartbeat();
        await mb.heartbeat();
        await a.pipeline.runOnce();
        await b.pipeline.runOnce();
      }
      const [ofA, ofB] = [ids(a), ids(b)];
      expect(ofA.length).toBeGreaterThan(0);
      expect(ofB.length).toBeGreaterThan(0);
      expect(ofA.filter((id) => ofB.includes(id))).toEqual([]);
      expect([...ofA, ...ofB].sort()).toEqual(ALL_IDS);
      const openAtKill = (await a.pipeline.anomalies({ limit: 5000 })).filter(
        (x) => ofA.includes(x.target) && x.state === 'open'
      );
      expect(openAtKill.length).toBeGreaterThan(0);

      // pod-a is killed: no renewal, no flush; whatever it scored since its last checkpoint is lost.
      // pod-b still holds only its own until pod-a's Lease expires and the new list has held.
      clock.advance(STEP);
      await mb.heartbeat();
      await b.pipeline.runOnce();
      expect(ids(b).sort()).toEqual([...ofB].sort());
      for (let i = 0; i < 3; i++) {
        clock.advance(STEP);
        await mb.heartbeat();
        await b.pipeline.runOnce();
      }
      expect(mb.live()).toEqual(['pod-b']);
      expect(ids(b).sort()).toEqual(ALL_IDS);

      clock.ms = end;
      await mb.heartbeat();
      await b.pipeline.runOnce();
      await expectExactlyOnce(b, reference);
      const got = await summary(b);
      // The anomalies open at the kill went on under the same ids.
      for (const open of openAtKill) {
        expect(
          (await b.pipeline.anomalies({ limit: 5000 })).filter(
            (x) => x.target === open.target && x.start === open.start
          )
        ).toEqual([expect.objectContaining({ id: open.id })]);
      }
      // Of pod-a's targets, anomalies opened while nobody watched them were found by pod-b.
      expect(got.some((x) => ofA.includes(x.target) && x.start > T0 + KILLED_AT * STEP)).toBe(true);
    } finally {
      await b.close();
      a.store.close();
      rmSync(a.dataDir, { recursive: true, force: true });
    }
  }, 120_000);
  it('hands a joining replica its share: the old owner stores and lets go at once, the new one resumes, each anomaly once', async () => {
    const { a, b, ma, mb, clock, expected: reference } = await replicas('joining');
    try {
      await ma.heartbeat();
      for (let i = 1040; i < JOIN_AT; i++) {
        await a.pipeline.runOnce();
        clock.advance(STEP);
        await ma.heartbeat();
      }
      expect(ids(a).sort()).toEqual(ALL_IDS);
      // pod-b joins; pod-a reads the new list at its next renewal and gives pod-b's share up at its next cycle.
      for (let i = JOIN_AT; i < JOIN_AT + 6; i++) {
        await mb.heartbeat();
        await ma.heartbeat();
        await a.pipeline.runOnce();
        await b.pipeline.runOnce();
        if (i === JOIN_AT) {
          // pod-b does not know its share yet; nothing of it is scored twice meanwhile.
          expect(ids(b)).toEqual([]);
          expect(ids(a).length).toBeLessThan(ALL_IDS.length);
        }
        clock.advance(STEP);
      }
      const [ofA, ofB] = [ids(a), ids(b)];
      expect(ofB.length).toBeGreaterThan(0);
      expect(ofA.filter((id) => ofB.includes(id))).toEqual([]);
      expect([...ofA, ...ofB].sort()).toEqual(ALL_IDS);
      clock.ms = end;
      await ma.heartbeat();
      await mb.heartbeat();
      await a.pipeline.runOnce();
      await b.pipeline.runOnce();
      await expectExactlyOnce(b, reference);
    } finally {
      await b.close();
      await a.close(true);
    }
  }, 120_000);
});
