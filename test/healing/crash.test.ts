import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployment, node, pod } from '../kube/objects';
import { KubeTestServer, RecordedRequest, startKubeTestServer } from '../kube/server';
import { api, Backend, buildBackend, startBackend, stillWaitingFor, until, writeConfig } from './backend';

const KUBE_TOKEN = 'kube-token';
const CONFIG = `
healing:
  tickInterval: 100ms
  policies:
    - name: scale-out
      match: { severities: [critical] }
      action: { type: scale, delta: 1 }
      gate: approve
    - name: drain-node
      match: { alertLabels: { alertname: NodeUnhealthy } }
      action: { type: drain, timeoutSeconds: 60 }
      gate: approve
`;

let bundle: Awaited<ReturnType<typeof buildBackend>>;
beforeAll(async () => {
  bundle = await buildBackend();
}, 60_000);
afterAll(() => bundle.remove());

let kube: KubeTestServer;
let dataDir: string;
let backend: Backend | undefined;

beforeEach(async () => {
  kube = await startKubeTestServer({ token: KUBE_TOKEN });
  dataDir = mkdtempSync(join(tmpdir(), 'fp-crash-'));
});
afterEach(async () => {
  const waiting = stillWaitingFor();
  if (waiting) {
    console.error(`the test ended while waiting for ${waiting}`);
  }
  await backend?.kill();
  backend = undefined;
  await kube.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const start = async () =>
  (backend = await startBackend({
    bundle: bundle.file,
    dataDir,
    kubeUrl: kube.url,
    kubeToken: KUBE_TOKEN,
    config: writeConfig(dataDir, CONFIG),
  }));
// The backend's own Lease (leader election) is not the cluster's workloads.
const real = (r: RecordedRequest) => r.method !== 'GET' && !r.dryRun && !r.path.includes('/leases');
const alert = (labels: Record<string, string>) => ({
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

async function propose(labels: Record<string, string>): Promise<number> {
  const b = backend!;
  const res = await api(b, 'POST', '/api/alerts', alert(labels));
  expect(res.status).toBe(200);
  const [id] = res.json.proposed;
  await until(
    'the proposal',
    async () => (await api(b, 'GET', `/api/actions/${id}`)).json.state === 'awaiting_approval'
  );
  return id;
}

const finalState = (id: number) =>
  until('a final state', async () => {
    const { json } = await api(backend!, 'GET', `/api/actions/${id}`);
    return ['succeeded', 'failed', 'blocked', 'cancelled'].includes(json.state) && json;
  });

describe('crash: the backend is killed with SIGKILL and restarted', () => {
  it('between approval and execution: the approved action runs once after the restart', async () => {
    kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 3 }));
    await start();
    const id = await propose({ alertname: 'Latency', severity: 'critical', namespace: 'shop', deployment: 'cart' });
    // The pre-execution dry run is held open; the process dies while the action is approved, not yet claimed.
    kube.inject({ method: 'PATCH', path: /\/scale$/, hold: true, times: 1 });
    const before = kube.requests.length;
    expect((await api(backend!, 'POST', `/api/actions/${id}/approve`, { comment: 'go' }, 'alice')).status).toBe(200);
    await until('the pre-execution dry run', () =>
      kube.requests.slice(before).some((r) => r.method === 'PATCH' && r.dryRun)
    );
    await backend!.kill();
    kube.release();
    await start();
    const action = await finalState(id);
    expect(action.state).toBe('succeeded');
    expect(kube.requests.filter(real)).toHaveLength(1);
    expect(kube.get('Deployment', 'cart', 'shop')!.spec!.replicas).toBe(4);
    expect(action.decisions).toEqual([expect.objectContaining({ user: 'alice', comment: 'go' })]);
  }, 60_000);

  it('while Kubernetes holds the scale request open: reconciled after the restart, not sent again', async () => {
    kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 3 }));
    await start();
    const id = await propose({ alertname: 'Latency', severity: 'critical', namespace: 'shop', deployment: 'cart' });
    kube.inject({ method: 'PATCH', path: /\/scale$/, match: real, hold: true });
    await api(backend!, 'POST', `/api/actions/${id}/approve`, {}, 'alice');
    await until('the real scale request', () => kube.requests.some(real));
    await backend!.kill();
    // The API server finishes the request the dead process sent.
    kube.clearFaults();
    kube.release();
    await until('the scale applied', () => kube.get('Deployment', 'cart', 'shop')!.spec!.replicas === 4);
    await start();
    const action = await finalState(id);
    expect(action.state).toBe('succeeded');
    expect(action.result.summary).toMatch(
      /already done when reconciled after a restart: deployment shop\/cart has 4 replicas, target 4/
    );
    expect(kube.requests.filter(real)).toHaveLength(1);
    const audit = await api(backend!, 'GET', `/api/audit?actionId=${id}&kind=reconciled`);
    expect(audit.json.total).toBe(1);
  }, 60_000);

  it('between two evictions of a drain: resumed after the restart, no pod evicted twice', async () => {
    kube.add(
      node('n1'),
      // Two more Ready nodes: the engine never takes out a node below 51% Ready (the default floor).
      node('n2'),
      node('n3'),
      ...[1, 2, 3].map((i) => pod({ namespace: 'shop', name: `cart-${i}`, nodeName: 'n1', ownerKind: 'ReplicaSet' }))
    );
    await start();
    const id = await propose({ alertname: 'NodeUnhealthy', severity: 'high', node: 'n1' });
    // The second eviction is held open when the process dies; the API server still carries it out.
    kube.inject({ method: 'POST', path: '/api/v1/namespaces/shop/pods/cart-2/eviction', match: real, hold: true });
    await api(backend!, 'POST', `/api/actions/${id}/approve`, {}, 'alice');
    await until('the second eviction', () => kube.requests.some((r) => real(r) && r.path.endsWith('cart-2/eviction')));
    await backend!.kill();
    kube.clearFaults();
    kube.release();
    await until('cart-2 evicted', () => !kube.get('Pod', 'cart-2', 'shop'));
    await start();
    const action = await finalState(id);
    expect(action.state).toBe('succeeded');
    const evictions = kube.requests
      .filter((r) => real(r) && r.path.endsWith('/eviction'))
      .map((r) => r.path.split('/')[6]);
    expect(evictions.sort()).toEqual(['cart-1', 'cart-2', 'cart-3']);
    expect(kube.list('Pod')).toHaveLength(0);
    expect(kube.get('Node', 'n1')!.spec!.unschedulable).toBe(true);
    const reconciled = await api(backend!, 'GET', `/api/audit?actionId=${id}&kind=reconciled`);
    expect(reconciled.json.items[0].message).toMatch(/node n1 is cordoned and still runs shop\/cart-3 \(not-done\)/);
  }, 60_000);
});
