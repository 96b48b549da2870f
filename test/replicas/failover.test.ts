import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LEASE_NAME } from '../../src/server/coordination/lease';
import { reap, runBackend, type BackendRun } from '../harness/backend';
import { startPostgres, type RunningPostgres } from '../harness/postgres';
import { freePort } from '../harness/prometheus';
import { until } from '../healing/backend';
import { deployment } from '../kube/objects';
import { startKubeTestServer, type KubeTestServer, type RecordedRequest } from '../kube/server';

// Issue 16's failover acceptance: three backend processes on one real PostgreSQL, leading on the
// Kubernetes test server's Lease. Only the leader executes; an approval given on any replica runs
// once; when the leader dies with SIGKILL, another takes the Lease after it expired and executes.
const KUBE_TOKEN = 'kube-token';
const API_TOKEN = 'failover-test-token-0123456789';
const NAMESPACE = 'failureprophet';
const REPLICAS = ['replica-a', 'replica-b', 'replica-c'];
const PROCESS_TIMEOUT = 240_000;
// A short lease so a takeover comes soon; nothing below asserts how soon.
const CONFIG = `
coordination:
  leaseDuration: 3s
  renewInterval: 1s
healing:
  tickInterval: 100ms
  policies:
    - name: scale-out
      match: { severities: [critical] }
      action: { type: scale, delta: 1 }
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

async function propose(replica: Replica): Promise<number> {
  const res = await api(replica, 'POST', '/api/alerts', {
    version: '4',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'Latency', severity: 'critical', namespace: 'shop', deployment: 'cart' },
        annotations: { summary: 'test' },
        startsAt: new Date().toISOString(),
        fingerprint: 'fp-latency',
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
    },
    PROCESS_TIMEOUT
  );
});
