import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { LEASE_NAME } from '../../src/server/coordination/lease';
import { claimFenceMs } from '../../src/server/healing/claimFence';
import { reap, runBackend, type BackendRun } from '../harness/backend';
import { startPostgres, type RunningPostgres } from '../harness/postgres';
import { freePort } from '../harness/prometheus';
import { until } from '../healing/backend';
import { deployment, node, pod } from '../kube/objects';
import { startKubeTestServer, type KubeTestServer, type RecordedRequest } from '../kube/server';

// Issue 16's failover acceptance: three backend processes on one real PostgreSQL, leading on the
// Kubernetes test server's Lease. Only the leader executes; an approval given on any replica runs
// once; when the leader dies with SIGKILL (between an approval and its execution, or in the middle
// of a drain), another takes the Lease after it expired, within two campaign cycles, and finishes.
const KUBE_TOKEN = 'kube-token';
const API_TOKEN = 'failover-test-token-0123456789';
const NAMESPACE = 'failureprophet';
const REPLICAS = ['replica-a', 'replica-b', 'replica-c'];
const PROCESS_TIMEOUT = 240_000;
// A short lease so a takeover comes soon; how soon is read from the Lease the replicas wrote.
const LEASE_MS = 3_000;
// What the dead leader left executing waits this long after the takeover (kubernetes.requestTimeoutMs
// left at its default, 10 s): a request it sent may still land until then.
const FENCE_MS = claimFenceMs(LEASE_MS, 10_000);
const CONFIG = `
coordination:
  leaseDuration: ${LEASE_MS}ms
  renewInterval: 1s
healing:
  tickInterval: 100ms
  policies:
    - name: scale-out
      match: { severities: [critical] }
      action: { type: scale, delta: 1 }
      gate: approve
    - name: drain-node
      match: { alertLabels: { alertname: NodeUnhealthy } }
      action: { type: drain, timeoutSeconds: 120 }
      gate: approve
`;

interface Replica {
  name: string;
  url: string;
  run: BackendRun;
}

let postgres: RunningPostgres | undefined;
let kube: KubeTestServer;
let dir: string;
let replicas: Replica[] = [];
let databases = 0;

beforeAll(async () => {
  postgres = await startPostgres();
}, 120_000);
afterAll(async () => {
  await postgres?.stop();
}, 120_000);

beforeEach(async () => {
  kube = await startKubeTestServer({ token: KUBE_TOKEN });
  dir = mkdtempSync(join(tmpdir(), 'fp-failover-'));
});
afterEach(async () => {
  try {
    for (const replica of replicas) {
      await reap(replica.run);
    }
  } finally {
    replicas = [];
    await kube.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

async function startReplicas(): Promise<Replica[]> {
  const databaseUrl = await postgres!.createDatabase(`failover_${++databases}`);
  const config = join(dir, 'config.yaml');
  writeFileSync(config, CONFIG);
  for (const name of REPLICAS) {
    const port = await freePort();
    const dataDir = mkdtempSync(join(dir, `${name}-`));
    const run = runBackend({
      FP_PORT: String(port),
      FP_HOST: '127.0.0.1',
      FP_DATA_DIR: dataDir,
      FP_CONFIG: config,
      FP_API_TOKEN: API_TOKEN,
      FP_DATABASE_URL: databaseUrl,
      FP_KUBE_URL: kube.url,
      FP_KUBE_TOKEN: KUBE_TOKEN,
      FP_LEASE_NAMESPACE: NAMESPACE,
      POD_NAME: name,
    });
    replicas.push({ name, url: `http://127.0.0.1:${port}`, run });
  }
  await Promise.all(replicas.map((r) => r.run.started));
  await until('one replica to hold the Lease', () => holder());
  return replicas;
}

const lease = () => kube.get('Lease', LEASE_NAME, NAMESPACE);
const holder = () => lease()?.spec?.holderIdentity;

async function api(replica: Replica, method: string, path: string, body?: unknown) {
  const res = await fetch(`${replica.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${API_TOKEN}`,
      'x-grafana-user': 'alice',
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: await res.json() };
}

// The Lease is the backend's own coordination, not a change to the cluster's workloads.
const real = (r: RecordedRequest) => r.method !== 'GET' && !r.dryRun && !r.path.includes('/leases');

const SCALE_ALERT = { alertname: 'Latency', severity: 'critical', namespace: 'shop', deployment: 'cart' };

async function propose(replica: Replica, labels: Record<string, string> = SCALE_ALERT): Promise<number> {
  const res = await api(replica, 'POST', '/api/alerts', {
    version: '4',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations: { summary: 'test' },
        startsAt: new Date().toISOString(),
        fingerprint: `fp-${labels.alertname}`,
      },
    ],
  });
  expect(res.status).toBe(200);
  const [id] = res.json.proposed as number[];
  await until(
    'the proposal to await approval',
    async () => (await api(replica, 'GET', `/api/actions/${id}`)).json.state === 'awaiting_approval'
  );
  return id;
}

/** One write of the leader's Lease that the test server accepted, with the times its writer put in it. */
interface LeaseWrite {
  /** Its place in kube.requests. */
  index: number;
  holder: string;
  renewTime: number;
  acquireTime: number;
}

const LEASES = `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases`;
const leaseSpec = z.object({ holderIdentity: z.string().optional(), renewTime: z.string(), acquireTime: z.string() });

/** The leader Lease's history as the replicas wrote it: creation, renewals, takeovers (not releases). */
function leaseWrites(): LeaseWrite[] {
  return kube.requests.flatMap((r, index) => {
    const body = r.body as { metadata?: { name?: string }; spec?: unknown } | undefined;
    // The replicas' member Leases (watch sharing) are created beside it, named after it and the pod.
    const accepted =
      (r.method === 'POST' && r.path === LEASES && body?.metadata?.name === LEASE_NAME && r.status === 201) ||
      (r.method === 'PUT' && r.path === `${LEASES}/${LEASE_NAME}` && r.status === 200);
    const spec = accepted ? leaseSpec.parse(body?.spec) : undefined;
    return spec?.holderIdentity
      ? [
          {
            index,
            holder: spec.holderIdentity,
            renewTime: Date.parse(spec.renewTime),
            acquireTime: Date.parse(spec.acquireTime),
          },
        ]
      : [];
  });
}

/**
 * The takeover after `killed` died, timed by the replicas' own clocks as written in the Lease (not by
 * how fast this machine runs the test): the next holder acquired it no earlier than the dead
 * leader's last renewal plus the lease duration, and no later than two campaign cycles after that,
 * a cycle being the longest gap between two renewals of one holder seen in this test (the renew
 * interval, plus whatever a busy machine adds to every round alike). Two: a follower counts the
 * lease from its own first read of that renewal (client-go's observedTime, so no node's clock is
 * trusted), which comes up to one cycle after it was written.
 */
async function takeoverAfter(killed: string): Promise<{ takeover: LeaseWrite; secondRenewal: number }> {
  const lastOf = (all: LeaseWrite[]) => [...all].reverse().find((w) => w.holder === killed)!;
  // Two renewals of the new leader after its takeover: its own cycle is measured too.
  const writes = await until('the new leader to renew twice', () => {
    const all = leaseWrites();
    const after = all.filter((w) => w.index > lastOf(all).index);
    return after.length >= 3 && after.every((w) => w.holder === after[0].holder) && all;
  });
  const lastRenewal = lastOf(writes);
  const [takeover, , second] = writes.filter((w) => w.index > lastRenewal.index);
  const cycle = Math.max(
    ...writes.slice(1).map((w, i) => (w.holder === writes[i].holder ? w.renewTime - writes[i].renewTime : 0))
  );
  const expiry = lastRenewal.renewTime + LEASE_MS;
  expect(takeover.acquireTime).toBe(takeover.renewTime);
  expect(takeover.acquireTime).toBeGreaterThanOrEqual(expiry);
  expect(takeover.acquireTime - expiry).toBeLessThanOrEqual(2 * cycle);
  return { takeover, secondRenewal: second.renewTime };
}

/** The one audit entry of `kind` for the action, read on `replica`. */
async function auditEntry(replica: Replica, id: number, kind: string) {
  const { json } = await api(replica, 'GET', `/api/audit?actionId=${id}&kind=${kind}`);
  expect(json.total).toBe(1);
  return json.items[0] as { at: number; message: string };
}

const finalState = (replica: Replica, id: number) =>
  until('a final state', async () => {
    const { json } = await api(replica, 'GET', `/api/actions/${id}`);
    return ['succeeded', 'failed', 'blocked', 'cancelled'].includes(json.state) && json;
  });

describe('three replicas on one PostgreSQL, leading on a Kubernetes Lease', () => {
  it(
    '50 concurrent approvals sent to the three replicas: one is accepted, the action runs once',
    async () => {
      kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 3 }));
      const all = await startReplicas();
      const follower = all.find((r) => r.name !== holder())!;
      const id = await propose(follower);

      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          api(all[i % all.length], 'POST', `/api/actions/${id}/approve`, { comment: `approval ${i}` })
        )
      );
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(49);

      const action = await finalState(follower, id);
      expect(action.state).toBe('succeeded');
      expect(action.decisions).toHaveLength(1);
      expect(kube.requests.filter(real)).toHaveLength(1);
      expect(kube.get('Deployment', 'cart', 'shop')!.spec!.replicas).toBe(4);
    },
    PROCESS_TIMEOUT
  );

  it(
    'the leader killed between an approval and its execution: another replica executes it once, after the Lease expired',
    async () => {
      kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 3 }));
      const all = await startReplicas();
      const first = holder()!;
      const transitions = Number(lease()!.spec!.leaseTransitions ?? 0);
      const follower = all.find((r) => r.name !== first)!;
      const id = await propose(follower);

      // The leader's pre-execution dry run is held open; it dies while the action is approved, not yet run.
      kube.inject({ method: 'PATCH', path: /\/scale$/, hold: true, times: 1 });
      const before = kube.requests.length;
      expect((await api(follower, 'POST', `/api/actions/${id}/approve`, { comment: 'go' })).status).toBe(200);
      await until('the pre-execution dry run', () =>
        kube.requests.slice(before).some((r) => r.method === 'PATCH' && r.dryRun)
      );
      // The replica that sent it leads now; it is the one killed.
      const leader = all.find((r) => r.name === holder())!;
      process.kill(leader.run.child.pid!, 'SIGKILL');
      await leader.run.exited;
      const killedAt = kube.requests.length;
      kube.release();

      const next = await until('another replica to take the Lease', () => {
        const name = holder();
        return name !== leader.name && name;
      });
      expect(lease()!.spec!.leaseTransitions).toBe(transitions + 1);
      const survivor = all.find((r) => r.name === next)!;
      const action = await finalState(survivor, id);
      expect(action.state).toBe('succeeded');
      expect(kube.requests.filter(real)).toHaveLength(1);
      // The one write came after the kill, and after another replica took the expired Lease.
      const writes = kube.requests.map((r, i) => (real(r) ? i : -1)).filter((i) => i >= 0);
      const takeover = kube.requests.findIndex(
        (r, i) =>
          i >= killedAt &&
          r.path.includes('/leases/') &&
          r.method === 'PUT' &&
          r.status === 200 &&
          (r.body as { spec?: { holderIdentity?: string } }).spec?.holderIdentity === next
      );
      expect(takeover).toBeGreaterThanOrEqual(killedAt);
      expect(writes[0]).toBeGreaterThan(takeover);
      expect(kube.get('Deployment', 'cart', 'shop')!.spec!.replicas).toBe(4);
      expect(action.decisions).toEqual([expect.objectContaining({ comment: 'go' })]);

      // Within the lease duration plus two cycles of its last renewal; the new leader executed before its second renewal
      // (its own rounds, which a busy machine slows as much as its other work).
      const timed = await takeoverAfter(leader.name);
      expect(timed.takeover.holder).toBe(next);
      const executing = await auditEntry(survivor, id, 'executing');
      expect(executing.at).toBeGreaterThanOrEqual(timed.takeover.acquireTime);
      expect(executing.at).toBeLessThan(timed.secondRenewal);
    },
    PROCESS_TIMEOUT
  );

  it(
    'the leader killed in the middle of a drain: another replica resumes it from the saved progress, no pod evicted twice',
    async () => {
      kube.add(
        node('n1'),
        // Two more Ready nodes: the engine never takes out a node below 51% Ready (the default floor).
        node('n2'),
        node('n3'),
        ...[1, 2, 3].map((i) => pod({ namespace: 'shop', name: `cart-${i}`, nodeName: 'n1', ownerKind: 'ReplicaSet' }))
      );
      const all = await startReplicas();
      const follower = all.find((r) => r.name !== holder())!;
      const id = await propose(follower, { alertname: 'NodeUnhealthy', severity: 'high', node: 'n1' });

      // The mid-drain point: cart-1 evicted (and saved), the eviction of cart-2 held open unanswered.
      kube.inject({
        method: 'POST',
        path: '/api/v1/namespaces/shop/pods/cart-2/eviction',
        match: real,
        hold: true,
        times: 1,
      });
      expect((await api(follower, 'POST', `/api/actions/${id}/approve`, { comment: 'drain it' })).status).toBe(200);
      await until('the eviction of cart-2', () =>
        kube.requests.some((r) => real(r) && r.path.endsWith('cart-2/eviction'))
      );
      expect(kube.get('Pod', 'cart-1', 'shop')).toBeUndefined();
      const leader = all.find((r) => r.name === holder())!;
      process.kill(leader.run.child.pid!, 'SIGKILL');
      await leader.run.exited;
      // The API server carries out what it had received; the dead leader never hears the answer.
      kube.release();
      await until('cart-2 evicted', () => !kube.get('Pod', 'cart-2', 'shop'));

      const { takeover, secondRenewal } = await takeoverAfter(leader.name);
      expect(takeover.holder).not.toBe(leader.name);
      const survivor = all.find((r) => r.name === takeover.holder)!;
      const action = await finalState(survivor, id);
      expect(action.state).toBe('succeeded');

      // Each pod's eviction was sent once: cart-2, gone when the drain resumed, was not evicted again.
      const evictions = kube.requests.filter((r) => real(r) && r.path.endsWith('/eviction'));
      expect(evictions.map((r) => r.path.split('/')[6]).sort()).toEqual(['cart-1', 'cart-2', 'cart-3']);
      expect(evictions.filter((r) => r.status === 201).length).toBeGreaterThanOrEqual(2);
      expect(kube.requests.findIndex((r) => real(r) && r.path.endsWith('cart-3/eviction'))).toBeGreaterThan(
        takeover.index
      );
      // Resumed, not started again: the report carries the dead leader's cordon and its eviction of cart-1.
      expect(action.result.details).toMatchObject({
        cordonedByDrain: true,
        evicted: [expect.objectContaining({ name: 'cart-1' }), expect.objectContaining({ name: 'cart-3' })],
      });
      expect(kube.get('Node', 'n1')!.spec!.unschedulable).toBe(true);
      expect(kube.list('Pod').filter((p) => p.spec?.nodeName === 'n1')).toEqual([]);

      // Once in the audit; the survivor's first step (reconciling what was left executing) came
      // once the dead leader's claim was surely dead: the fence after its takeover, and soon after.
      await auditEntry(survivor, id, 'succeeded');
      await auditEntry(survivor, id, 'executing');
      const reconciled = await auditEntry(survivor, id, 'reconciled');
      expect(reconciled.message).toMatch(/node n1 is cordoned and still runs shop\/cart-3 \(not-done\)/);
      expect(reconciled.at).toBeGreaterThanOrEqual(takeover.acquireTime + FENCE_MS);
      expect(reconciled.at).toBeLessThan(secondRenewal + FENCE_MS);
    },
    PROCESS_TIMEOUT
  );
});
