import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LEASE_NAME, LeaseElector } from '../../src/server/coordination/lease';
import { kubeClientFromOptions } from '../../src/server/kubernetes/client';
import { kubernetesOptionsSchema } from '../../src/server/kubernetes/config';
import { reap, runBackend, type BackendRun } from '../harness/backend';
import { freePort } from '../harness/prometheus';
import { until } from '../healing/backend';
import { startKubeTestServer, type KubeTestServer } from '../kube/server';

// A real backend process leads on the Kubernetes test server's Lease; SIGTERM must give the Lease
// up after the engine stopped, so the next replica leads at once instead of after the lease duration.
const KUBE_TOKEN = 'kube-token';
const NAMESPACE = 'failureprophet';
const PROCESS_TIMEOUT = 240_000;

let kube: KubeTestServer;
let dir: string;
let run: BackendRun | undefined;

beforeEach(async () => {
  kube = await startKubeTestServer({ token: KUBE_TOKEN });
  dir = mkdtempSync(join(tmpdir(), 'fp-leader-'));
});
afterEach(async () => {
  try {
    await reap(run);
  } finally {
    run = undefined;
    await kube.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const lease = () => kube.get('Lease', LEASE_NAME, NAMESPACE);

it(
  'releases the Lease on SIGTERM, after the engine stopped, so the next replica leads at once',
  async () => {
    const port = await freePort();
    run = runBackend({
      FP_PORT: String(port),
      FP_HOST: '127.0.0.1',
      FP_DATA_DIR: dir,
      FP_API_TOKEN: 'leader-test-token-0123456789',
      FP_KUBE_URL: kube.url,
      FP_KUBE_TOKEN: KUBE_TOKEN,
      FP_LEASE_NAMESPACE: NAMESPACE,
      POD_NAME: 'replica-a',
    });
    await run.started;
    await until('replica-a to hold the Lease', () => lease()?.spec?.holderIdentity === 'replica-a');
    const readyz = await (await fetch(`http://127.0.0.1:${port}/readyz`)).json();
    expect(readyz.checks.leadership).toEqual({ ok: true, role: 'leader' });
    expect(lease()!.spec).toMatchObject({ leaseDurationSeconds: 15 });

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    // As client-go releases: no holder, a one-second duration.
    expect(lease()!.spec!.holderIdentity).toBeUndefined();
    expect(lease()!.spec).toMatchObject({ leaseDurationSeconds: 1 });
    const messages = run
      .output()
      .stdout.split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line).msg as string);
    const gained = messages.indexOf('leadership gained: this replica executes healing actions');
    const released = messages.indexOf('leadership released: the next replica takes over at once');
    expect(gained).toBeGreaterThanOrEqual(0);
    expect(released).toBeGreaterThan(messages.indexOf('shutting down'));
    expect(messages.indexOf('stopped')).toBeGreaterThan(released);

    // The next replica, at once: the Lease has no holder.
    const next = new LeaseElector({
      client: kubeClientFromOptions(
        kubernetesOptionsSchema.parse({ mode: 'endpoint', url: kube.url, token: KUBE_TOKEN })
      ),
      namespace: NAMESPACE,
      name: LEASE_NAME,
      identity: 'replica-b',
      leaseDurationSeconds: 15,
      renewDeadlineMs: 10_000,
    });
    expect(await next.campaign()).toBe(true);
    expect(lease()!.spec).toMatchObject({ holderIdentity: 'replica-b', leaseTransitions: 0 });
  },
  PROCESS_TIMEOUT
);
