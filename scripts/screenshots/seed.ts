import type { RunningBackend } from '../../test/browser/harness';
import { deployment } from '../../test/kube/objects';
import { CART_LATENCY, SHOP_0_MEMORY, SPIKE_MINUTES } from './fleet';

const MINUTE = 60_000;

/**
 * Polls until `check` passes, at most `polls` times 100 ms apart: the engine executes on its own
 * tick, and a busy machine stretches the wait rather than failing it.
 */
async function waitUntil(what: string, check: () => Promise<boolean>, polls = 600): Promise<void> {
  for (let i = 0; !(await check()); i++) {
    if (i >= polls) {
      throw new Error(`the backend did not get there: ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Decides an action as a Grafana user would through the proxy, which names the user. */
async function decide(
  backend: RunningBackend,
  id: number,
  decision: 'approve' | 'reject',
  user: string,
  comment: string
) {
  const res = await fetch(`${backend.url}/api/actions/${id}/${decision}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${backend.token}`, 'Content-Type': 'application/json', 'X-Grafana-User': user },
    body: JSON.stringify({ comment }),
  });
  if (!res.ok) {
    throw new Error(`${decision} action ${id}: ${res.status} ${await res.text()}`);
  }
}

/** Alerts as Alertmanager sends them for the shop's deployments; the ids of the actions they proposed. */
async function alert(backend: RunningBackend, alerts: Array<[name: string, severity: string, summary: string]>) {
  const intake = await backend.request('POST', '/api/alerts', {
    status: 'firing',
    alerts: alerts.map(([name, severity, summary]) => ({
      status: 'firing',
      labels: { alertname: 'HighLatency', severity, namespace: 'shop', deployment: name },
      annotations: { summary },
    })),
  });
  if (intake.status !== 200 || intake.body.proposed.length !== alerts.length) {
    throw new Error(`the alerts proposed ${JSON.stringify(intake.body)}`);
  }
  return intake.body.proposed as number[];
}

const state = async (backend: RunningBackend, id: number) => (await backend.request('GET', `/api/actions/${id}`)).body;

/**
 * What the store holds when the screenshots are taken: the fleet's anomalies, forecast and models
 * (fleet.ts lists the targets), and the healing engine's work on the cluster: one scale-out approved
 * and executed, one proposal rejected, and two waiting for approval with their dry runs.
 */
export async function seedBackend(backend: RunningBackend, now: number): Promise<void> {
  await backend.pipeline.repo.commitCycle({
    watch: 'latency',
    lastProcessed: now,
    targets: [],
    forgotten: [],
    predictions: [],
    anomalies: [
      {
        targetId: CART_LATENCY,
        watch: 'latency',
        labels: { deployment: 'cart' },
        start: now - SPIKE_MINUTES * MINUTE,
        end: now,
        peakScore: 0.93,
        severity: 'critical',
        failureModel: 'resource_exhaustion',
        state: 'open',
        signals: ['p99'],
        direction: 'above',
        reasons: ['p99 latency far above its band'],
      },
      {
        targetId: 'latency{deployment="checkout"}',
        watch: 'latency',
        labels: { deployment: 'checkout' },
        start: now - 300 * MINUTE,
        end: now - 284 * MINUTE,
        peakScore: 0.86,
        severity: 'medium',
        failureModel: 'network_partition',
        state: 'closed',
        signals: ['p99'],
        direction: 'above',
        reasons: ['p99 latency above its band while its requests dropped'],
      },
    ],
  });
  await backend.pipeline.repo.commitCycle({
    watch: 'memory',
    lastProcessed: now,
    targets: [],
    forgotten: [],
    anomalies: [
      {
        targetId: SHOP_0_MEMORY,
        watch: 'memory',
        labels: { pod: 'shop-0' },
        start: now - 25 * MINUTE,
        end: now,
        peakScore: 0.72,
        severity: 'high',
        failureModel: 'resource_exhaustion',
        state: 'open',
        signals: ['working_set'],
        direction: 'above',
        reasons: ['working set reaches its 512 MB limit in about 2 h'],
      },
    ],
    predictions: [
      {
        targetId: SHOP_0_MEMORY,
        watch: 'memory',
        signal: 'working_set',
        madeAt: now,
        limit: 512e6,
        direction: 'above',
        seconds: 7_200,
        lowerSeconds: 5_400,
        upperSeconds: 10_800,
      },
    ],
  });
  await backend.pipeline.repo.addModel({
    watch: 'latency',
    targetId: CART_LATENCY,
    status: 'active',
    reason: 'scheduled',
    trainedAt: now - 180 * MINUTE,
    rangeStart: now - 7 * 1440 * MINUTE,
    rangeEnd: now - 180 * MINUTE,
    samples: 10_080,
    params: {},
    threshold: 0.8,
    feedback: { falsePositive: 1, confirmed: 2 },
  });

  backend.kube.add(
    deployment({ namespace: 'shop', name: 'cart', replicas: 3 }),
    deployment({ namespace: 'shop', name: 'checkout', replicas: 2 }),
    deployment({ namespace: 'shop', name: 'search', replicas: 2 }),
    deployment({ namespace: 'shop', name: 'catalog', replicas: 2 })
  );
  const [search, catalog] = await alert(backend, [
    ['search', 'critical', 'search p99 latency above 2s'],
    ['catalog', 'high', 'catalog p99 latency above 1s'],
  ]);
  for (const id of [search, catalog]) {
    await waitUntil(
      `action ${id} awaits approval`,
      async () => (await state(backend, id)).state === 'awaiting_approval'
    );
  }
  await decide(
    backend,
    search,
    'approve',
    'alice',
    'p99 doubled since the 14:00 deploy; one more replica while we look'
  );
  await decide(backend, catalog, 'reject', 'bob', 'the nightly re-index: slow on purpose, not a fault');
  await waitUntil(
    'the approved scale-out ran',
    async () => backend.kube.get('Deployment', 'search', 'shop')?.spec?.replicas === 3
  );

  const pending = await alert(backend, [
    ['cart', 'critical', 'cart p99 latency above 2s'],
    ['checkout', 'high', 'checkout p99 latency above 1s'],
  ]);
  for (const id of pending) {
    await waitUntil(`action ${id} has its dry run`, async () => {
      const action = await state(backend, id);
      return action.state === 'awaiting_approval' && action.dryRun !== undefined;
    });
  }
}
