import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { parseAllDocuments } from 'yaml';
import { policySchema } from '../../src/contract/healing';
import { Leadership } from '../../src/server/coordination/leadership';
import { LEASE_NAME, LeaseElector } from '../../src/server/coordination/lease';
import { HealingEngine } from '../../src/server/healing';
import { checkReadiness } from '../../src/server/http/readiness';
import { kubeClientFromOptions } from '../../src/server/kubernetes/client';
import { kubernetesOptionsSchema } from '../../src/server/kubernetes/config';
import { openSqliteDatabase, type SqliteStore } from '../../src/server/store/sqlite';
import { anomaly } from '../healing/setup';
import { type Harness, startHarness, TOKEN } from '../kube/harness';
import { deployment, node, pod } from '../kube/objects';
import { rbacFor } from '../kube/rbac';

// Two replicas of the healing engine on one store and one Kubernetes test server, each with its
// own Lease elector: time moves only when a test moves the shared clock.
const NAMESPACE = 'failureprophet';
const RENEW_MS = 5_000;
const TICK_MS = 2_000;

interface Replica {
  engine: HealingEngine;
  leadership: Leadership;
  metrics: Registry;
}

let h: Harness;
let store: SqliteStore;
const replicas: Replica[] = [];

beforeEach(async () => {
  h = await startHarness();
  h.kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 3 }));
  store = openSqliteDatabase(':memory:');
});
afterEach(async () => {
  for (const r of replicas.splice(0)) {
    await r.leadership.stop();
    await r.engine.stop();
  }
  store.close();
  await h.kube.close();
});

async function replica(identity: string): Promise<Replica> {
  const client = kubeClientFromOptions(
    kubernetesOptionsSchema.parse({ mode: 'endpoint', url: h.kube.url, token: TOKEN, requestTimeoutMs: 2000 }),
    h.clock
  );
  const logger = pino({ level: 'silent' });
  const metrics = new Registry();
  const elector = new LeaseElector({
    client,
    namespace: NAMESPACE,
    name: LEASE_NAME,
    identity,
    leaseDurationSeconds: 15,
    renewDeadlineMs: 10_000,
  });
  const leadership = new Leadership({ identity, elector, clock: h.clock, logger, metrics, renewIntervalMs: RENEW_MS });
  const engine = await HealingEngine.open({
    store,
    kube: h.client,
    clock: h.clock,
    logger,
    metrics,
    policies: [
      policySchema.parse({
        name: 'scale-out',
        match: { severities: ['critical'] },
        action: { type: 'scale', delta: 1 },
        gate: 'approve',
      }),
      policySchema.parse({
        name: 'drain-node',
        match: { severities: ['high'] },
        action: { type: 'drain' },
        gate: 'approve',
      }),
    ],
    leads: () => leadership.isLeader(),
  });
  leadership.onGained(() => void engine.tick());
  const r = { engine, leadership, metrics };
  replicas.push(r);
  return r;
}

const replicasOfCart = () => h.kube.get('Deployment', 'cart', 'shop')?.spec?.replicas;
const scalePatches = () => h.kube.realWrites().filter((r) => r.path.endsWith('/deployments/cart/scale'));
const leaderGauge = async (r: Replica) => (await r.metrics.getSingleMetric('failureprophet_leader')!.get()).values;

describe('one leader executes, every replica records', () => {
  it('executes an approval given on the follower once, on the leader only', async () => {
    const [a, b] = await Promise.all([replica('pod-a'), replica('pod-b')]);
    await a.leadership.campaign();
    await b.leadership.campaign();
    expect([a.leadership.role(), b.leadership.role()]).toEqual(['leader', 'follower']);
    expect(await leaderGauge(a)).toEqual([{ labels: { identity: 'pod-a' }, value: 1 }]);
    expect(await leaderGauge(b)).toEqual([{ labels: { identity: 'pod-b' }, value: 0 }]);

    // The follower records the proposal and the approval...
    const [id] = await b.engine.onAnomaly(anomaly());
    expect((await b.engine.actions.get(id))!.state).toBe('awaiting_approval');
    expect((await b.engine.approve(id, 'alice')).ok).toBe(true);
    await b.engine.tick();
    await b.engine.idle();
    // ...but does not execute it.
    expect((await b.engine.actions.get(id))!.state).toBe('approved');
    expect(scalePatches()).toHaveLength(0);
    expect(replicasOfCart()).toBe(3);

    await a.engine.tick();
    await a.engine.idle();
    await b.engine.tick();
    await b.engine.idle();
    expect((await a.engine.actions.get(id))!.state).toBe('succeeded');
    expect(scalePatches()).toHaveLength(1);
    expect(replicasOfCart()).toBe(4);
  });

  it('lets the follower execute once the silent leader’s lease has expired, and not before', async () => {
    const [a, b] = await Promise.all([replica('pod-a'), replica('pod-b')]);
    // pod-a leads at 0 s, then hangs: it neither renews nor ticks.
    await a.leadership.campaign();
    b.leadership.start();
    b.engine.start(TICK_MS);
    await b.leadership.campaign();
    const [id] = await b.engine.onAnomaly(anomaly());
    b.engine.approve(id, 'alice');

    // Rounds at 5 s and 10 s, ticks every 2 s: pod-a still holds the lease.
    for (const step of [5_000, 5_000, 4_999]) {
      h.clock.advance(step);
      await b.leadership.campaign();
      await b.engine.idle();
    }
    expect(h.clock.now() - Date.parse('2025-06-01T12:00:00.000Z')).toBe(14_999);
    expect(b.leadership.role()).toBe('follower');
    expect((await b.engine.actions.get(id))!.state).toBe('approved');
    expect(scalePatches()).toHaveLength(0);

    // At 15 s pod-a's lease has run out: pod-a knows it by its own clock, pod-b takes over at its round.
    h.clock.advance(1);
    expect(a.leadership.isLeader()).toBe(false);
    await b.leadership.campaign();
    await b.engine.idle();
    expect(b.leadership.role()).toBe('leader');
    expect(h.kube.get('Lease', LEASE_NAME, NAMESPACE)!.spec).toMatchObject({
      holderIdentity: 'pod-b',
      leaseTransitions: 1,
    });
    expect((await b.engine.actions.get(id))!.state).toBe('succeeded');
    expect(scalePatches()).toHaveLength(1);
  });

  it('stops a drain before its next eviction when the leader passes its renew deadline; the next leader resumes it', async () => {
    h.kube.add(
      // Two more Ready nodes: the engine never takes out a node below 51% Ready (the default floor).
      node('n1'),
      node('n2'),
      node('n3'),
      ...[1, 2, 3].map((i) => pod({ namespace: 'shop', name: `web-${i}`, nodeName: 'n1', ownerKind: 'ReplicaSet' }))
    );
    const evictions = () =>
      h.kube
        .realWrites()
        .filter((r) => r.path.endsWith('/eviction'))
        .map((r) => r.path.split('/')[6]);
    const [a, b] = await Promise.all([replica('pod-a'), replica('pod-b')]);
    await a.leadership.campaign();
    await b.leadership.campaign();
    const [id] = await a.engine.onAnomaly(anomaly({ severity: 'high', object: { kind: 'node', name: 'n1' } }));
    // web-1 takes 11 s to terminate, and pod-a does not get to renew meanwhile (a stall, a cut):
    // its renew deadline (10 s) passes before the second eviction, its lease (15 s) has not expired.
    h.kube.setPodTerminationReads(11);
    expect((await a.engine.approve(id, 'alice')).ok).toBe(true);
    await a.engine.tick();
    await a.engine.idle();
    expect(a.leadership.isLeader()).toBe(false);
    expect(evictions()).toEqual(['web-1']);
    // Left executing, cordoned, its progress saved: not paused, failed or uncordoned by a replica that may not act.
    const left = (await a.engine.actions.get(id))!;
    expect(left.state).toBe('executing');
    expect(left.progress).toMatchObject({
      cordonedByDrain: true,
      evicted: [expect.objectContaining({ name: 'web-1' })],
    });
    expect(h.kube.get('Node', 'n1')!.spec!.unschedulable).toBe(true);

    h.kube.setPodTerminationReads(0);
    await b.leadership.campaign();
    expect(b.leadership.role()).toBe('follower');
    h.clock.advance(15_000 - (h.clock.now() - Date.parse('2025-06-01T12:00:00.000Z')));
    await b.leadership.campaign();
    expect(b.leadership.role()).toBe('leader');
    await b.engine.tick();
    await b.engine.idle();
    const done = (await b.engine.actions.get(id))!;
    expect(done.state).toBe('succeeded');
    expect(evictions()).toEqual(['web-1', 'web-2', 'web-3']);
    expect(done.result!.details).toMatchObject({
      cordonedByDrain: true,
      evicted: ['web-1', 'web-2', 'web-3'].map((name) => expect.objectContaining({ name })),
    });
  });

  it('hands over at once on release: the next round of the other replica leads, no expiry awaited', async () => {
    const [a, b] = await Promise.all([replica('pod-a'), replica('pod-b')]);
    await a.leadership.campaign();
    await b.leadership.campaign();
    await a.leadership.stop();
    await a.leadership.release();
    expect(a.leadership.role()).toBe('follower');
    expect(h.kube.get('Lease', LEASE_NAME, NAMESPACE)!.spec!.holderIdentity).toBeUndefined();
    await b.leadership.campaign();
    expect(b.leadership.role()).toBe('leader');
  });
});

describe('readiness of a replica', () => {
  it('is ready as the leader and as a healthy follower', async () => {
    const [a, b] = await Promise.all([replica('pod-a'), replica('pod-b')]);
    await a.leadership.campaign();
    await b.leadership.campaign();
    const ready = (r: Replica) =>
      checkReadiness({ store, prometheus: { ping: async () => undefined }, leadership: r.leadership });
    expect(await ready(a)).toMatchObject({ status: 'ready', checks: { leadership: { ok: true, role: 'leader' } } });
    expect(await ready(b)).toMatchObject({
      status: 'ready',
      checks: {
        leadership: { ok: true, role: 'follower', message: 'another replica leads and executes healing actions' },
      },
    });
  });

  it('is not ready when RBAC forbids the Lease, and says which verb on which resource', async () => {
    await h.kube.close();
    // deploy/rbac.yaml without its leader-election Role: the rest is granted as shipped.
    const rbac = readFileSync(join(__dirname, '../../deploy/rbac.yaml'), 'utf8');
    const documents = parseAllDocuments(rbac)
      .map((d) => d.toJS())
      .filter((d) => d.metadata.name !== 'failureprophet-leader-election');
    h = await startHarness({
      authorize: rbacFor(documents, { namespace: NAMESPACE, name: 'failureprophet' }).authorize,
    });
    const a = await replica('pod-a');
    await a.leadership.campaign();
    const readiness = await checkReadiness({
      store,
      prometheus: { ping: async () => undefined },
      leadership: a.leadership,
    });
    expect(readiness.status).toBe('not_ready');
    expect(readiness.checks.leadership).toEqual({
      ok: false,
      role: 'follower',
      message: `cannot tell which replica leads: RBAC forbids get on leases.coordination.k8s.io in namespace ${NAMESPACE}`,
    });
    expect(a.leadership.lastError()).toMatch(
      /cannot get leases \(API group coordination\.k8s\.io\) in namespace failureprophet/
    );
  });
});
