import { z } from 'zod';
// Kubernetes access saved in Grafana reaches the engine: PUT /api/admin/kubernetes with the token
// and CA headers Grafana's proxy route adds swaps the engine's client (over real https, verified by
// the CA), the store keeps it across a restart over the config file, DELETE goes back.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { KUBE_CA_HEADER, KUBE_TOKEN_HEADER, type KubernetesSettings } from '../../src/contract/kubernetes';
import type { AuditEntry } from '../../src/contract/healing';
import { HealingEngine } from '../../src/server/healing';
import type { App } from '../../src/server/http/server';
import { createLogger } from '../../src/server/logger';
import { kubeClientFromOptions, kubernetesOptionsSchema, type KubernetesOptions } from '../../src/server/kubernetes';
import { openSqliteDatabase, type SqliteStore } from '../../src/server/store/sqlite';
import { serveHealingApi } from '../harness/healingApi';
import { FakeClock } from '../kube/harness';
import { deployment } from '../kube/objects';
import { KubeTestServer, startKubeTestServer } from '../kube/server';
import { OTHER_CA, SERVER_CA, startTlsFront, TlsFront } from '../kube/tls';
import { anomaly } from './setup';

const CONFIG_TOKEN = 'config-file-kube-token';
const GRAFANA_TOKEN = 'saved-in-grafana-kube-token';
const base64 = (pem: string) => Buffer.from(pem).toString('base64');

/** A Kubernetes API test server reached over https, holding shop/cart with 3 replicas. */
interface Cluster {
  kube: KubeTestServer;
  front: TlsFront;
}
async function cluster(token: string): Promise<Cluster> {
  const kube = await startKubeTestServer({ token });
  kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 3 }));
  return { kube, front: await startTlsFront(kube.url) };
}
const replicas = (c: Cluster, name = 'cart') =>
  (c.kube.get('Deployment', name, 'shop')?.spec as { replicas: number }).replicas;

let fromConfig: Cluster;
let inGrafana: Cluster;
let dir: string;
let logs: string[];
let running: Array<{ engine: HealingEngine; app: App; store: SqliteStore }>;

// The in-cluster service account is found (by the Kubernetes client too) through these variables.
const POD_ENV = ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT'] as const;
const savedEnv = POD_ENV.map((k) => process.env[k]);
const inPod = (env: Partial<Record<(typeof POD_ENV)[number], string>>) => Object.assign(process.env, env);

beforeEach(async () => {
  POD_ENV.forEach((k) => delete process.env[k]);
  [fromConfig, inGrafana] = await Promise.all([cluster(CONFIG_TOKEN), cluster(GRAFANA_TOKEN)]);
  dir = mkdtempSync(join(tmpdir(), 'fp-kube-access-'));
  logs = [];
  running = [];
});

afterEach(async () => {
  POD_ENV.forEach((k, i) => (savedEnv[i] === undefined ? delete process.env[k] : (process.env[k] = savedEnv[i])));
  await Promise.all(running.map(stop));
  for (const c of [fromConfig, inGrafana]) {
    await c.front.close();
    await c.kube.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

async function stop(r: { engine: HealingEngine; app: App; store: SqliteStore }) {
  await r.app.close();
  await r.engine.stop();
  r.store.close();
}

/** The backend as main builds it, on the database in `dir`, with Kubernetes from its config pointing at `fromConfig`. */
async function startBackend() {
  const logger = createLogger(
    'trace',
    new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    })
  );
  const kubeConfig: KubernetesOptions = kubernetesOptionsSchema.parse({
    mode: 'endpoint',
    url: fromConfig.front.url,
    token: CONFIG_TOKEN,
    caData: base64(SERVER_CA),
  });
  const clock = new FakeClock();
  const store = openSqliteDatabase(join(dir, 'failureprophet.db'));
  const engine = await HealingEngine.open({
    store,
    kube: kubeClientFromOptions(kubeConfig, clock),
    kubeConfig,
    clock,
    logger,
    metrics: new Registry(),
  });
  const { app, call } = await serveHealingApi(engine, store, logger);
  const backend = { engine, app, store };
  running.push(backend);
  return {
    ...backend,
    call,
    restart: async () => {
      running.splice(running.indexOf(backend), 1);
      await stop(backend);
      return startBackend();
    },
  };
}

type Backend = Awaited<ReturnType<typeof startBackend>>;

/** What Grafana's proxy sends for an Admin who saved an API endpoint with a token and CA. */
const saveEndpoint = (
  b: Backend,
  url: string,
  secrets: { token?: string; ca?: string } = { token: GRAFANA_TOKEN, ca: base64(SERVER_CA) }
) =>
  b.call(
    'PUT',
    '/api/admin/kubernetes',
    { mode: 'endpoint', url },
    {
      // The route fills both headers, with "" for a secret that is not set (orEmpty).
      [KUBE_TOKEN_HEADER]: secrets.token ?? '',
      [KUBE_CA_HEADER]: secrets.ca ?? '',
    }
  );

const testConnection = async (b: Backend) => (await b.call('POST', '/api/admin/test/kubernetes', {})).json();
const reachedWith = (c: Cluster, token: string) =>
  c.kube.requests.length > 0 && c.kube.requests.every((r) => r.authorization === `Bearer ${token}`);

describe('Kubernetes access saved in Grafana', () => {
  it('swaps the engine to the new API server: the connection test and the next action go there', async () => {
    const b = await startBackend();
    expect((await b.call('GET', '/api/kubernetes')).json()).toMatchObject({
      source: 'config',
      mode: 'endpoint',
      url: fromConfig.front.url,
      tokenSet: true,
      caSet: true,
    });

    const saved = await saveEndpoint(b, inGrafana.front.url);
    expect(saved.statusCode).toBe(200);
    expect(saved.json()).toEqual<KubernetesSettings>({
      source: 'grafana',
      mode: 'endpoint',
      url: inGrafana.front.url,
      tokenSet: true,
      caSet: true,
      updatedBy: 'admin',
      updatedAt: expect.any(Number),
    });
    expect((await b.call('GET', '/api/kubernetes')).json()).toEqual(saved.json());

    const test = await testConnection(b);
    expect(test).toMatchObject({ ok: true, message: expect.stringContaining(inGrafana.front.url) });
    expect(reachedWith(inGrafana, GRAFANA_TOKEN)).toBe(true);

    const [id] = await b.engine.onAnomaly(anomaly());
    expect((await b.engine.approve(id, 'alice')).ok).toBe(true);
    await b.engine.idle();
    expect((await b.engine.actions.get(id))?.state).toBe('succeeded');
    expect(replicas(inGrafana)).toBe(4);
    expect(replicas(fromConfig)).toBe(3);
    expect(fromConfig.kube.requests).toEqual([]);

    // The token is a secret: in no answer and in no log line (the trace level logs every request).
    const answers = [saved.body, (await b.call('GET', '/api/kubernetes')).body, JSON.stringify(test)].join('\n');
    expect(answers).not.toContain(GRAFANA_TOKEN);
    expect(logs.join('')).not.toContain(GRAFANA_TOKEN);
    expect(logs.join('')).not.toContain(CONFIG_TOKEN);
    expect(logs.some((l) => l.includes('Kubernetes access as saved in Grafana') && l.includes('"user":"admin"'))).toBe(
      true
    );
  });

  it('uses the CA it is given: a CA that does not verify the server fails the connection test', async () => {
    const b = await startBackend();
    expect(
      (await saveEndpoint(b, inGrafana.front.url, { token: GRAFANA_TOKEN, ca: base64(OTHER_CA) })).statusCode
    ).toBe(200);
    const test = await testConnection(b);
    expect(test.ok).toBe(false);
    expect(inGrafana.kube.requests).toEqual([]);
  });

  it.each([
    ['an http:// URL', { mode: 'endpoint', url: 'http://127.0.0.1:6443' }, {}, 'body.url', /https:\/\//],
    ['no URL', { mode: 'endpoint' }, {}, 'body.url', /./],
    [
      'no token',
      { mode: 'endpoint', url: 'https://k8s.example.com' },
      { [KUBE_TOKEN_HEADER]: '' },
      'secureJsonData.kubeToken',
      /bearer token/,
    ],
    [
      'a CA that is not base64',
      { mode: 'endpoint', url: 'https://k8s.example.com' },
      { [KUBE_CA_HEADER]: SERVER_CA.split('\n')[1] + '!' },
      'secureJsonData.kubeCa',
      /not base64/,
    ],
    [
      'a CA that is not a PEM',
      { mode: 'endpoint', url: 'https://k8s.example.com' },
      { [KUBE_CA_HEADER]: base64('hello') },
      'secureJsonData.kubeCa',
      /PEM/,
    ],
    [
      'a PEM that is no certificate',
      { mode: 'endpoint', url: 'https://k8s.example.com' },
      { [KUBE_CA_HEADER]: base64('-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----\n') },
      'secureJsonData.kubeCa',
      /not a readable certificate/,
    ],
    ['in-cluster outside a pod', { mode: 'in-cluster' }, {}, 'body.mode', /KUBERNETES_SERVICE_HOST/],
    ['an unknown mode', { mode: 'kubeconfig' }, {}, 'body.mode', /./],
  ])('refuses %s with 400 naming the field, and changes nothing', async (_case, body, headers, field, message) => {
    const b = await startBackend();
    const res = await b.call('PUT', '/api/admin/kubernetes', body, {
      [KUBE_TOKEN_HEADER]: GRAFANA_TOKEN,
      [KUBE_CA_HEADER]: base64(SERVER_CA),
      ...headers,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'bad_request', field, message: expect.stringMatching(message) });
    expect(res.body).not.toContain(GRAFANA_TOKEN);
    expect((await b.call('GET', '/api/kubernetes')).json()).toMatchObject({
      source: 'config',
      url: fromConfig.front.url,
    });
    expect((await testConnection(b)).ok).toBe(true);
    expect(reachedWith(fromConfig, CONFIG_TOKEN)).toBe(true);
  });

  it('accepts in-cluster when the backend runs in a pod, and takes no secrets with it', async () => {
    const b = await startBackend();
    inPod({ KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' });
    const res = await b.call(
      'PUT',
      '/api/admin/kubernetes',
      { mode: 'in-cluster' },
      { [KUBE_TOKEN_HEADER]: GRAFANA_TOKEN }
    );
    expect(res.json()).toMatchObject({
      source: 'grafana',
      mode: 'in-cluster',
      url: 'https://10.0.0.1:443',
      tokenSet: false,
    });
    expect(JSON.stringify(b.store.settings.get('healing.kubernetes', z.unknown()))).not.toContain(GRAFANA_TOKEN);
  });

  it('an action already executing finishes on the old API server; the next one uses the new', async () => {
    const b = await startBackend();
    inGrafana.kube.add(deployment({ namespace: 'shop', name: 'web', replicas: 2 }));
    const [first] = await b.engine.onAnomaly(anomaly());
    // The approved action's re-check dry run is on its way to the config's server when the Admin saves.
    fromConfig.kube.inject({
      method: 'PATCH',
      path: /\/scale$/,
      times: 1,
      sideEffect: () => {
        // The store's write lands at once; the new client is swapped in once it is saved.
        void b.engine.kubernetes.put(
          { mode: 'endpoint', url: inGrafana.front.url },
          { token: GRAFANA_TOKEN, ca: base64(SERVER_CA) },
          'admin'
        );
      },
    });
    await b.engine.approve(first, 'alice');
    await b.engine.idle();
    expect(b.engine.kubernetes.settings().source).toBe('grafana');
    expect((await b.engine.actions.get(first))?.state).toBe('succeeded');
    expect(replicas(fromConfig)).toBe(4);
    expect(inGrafana.kube.writes()).toEqual([]);

    const [second] = await b.engine.onAnomaly(
      anomaly({
        labels: { namespace: 'shop', deployment: 'web' },
        object: { kind: 'deployment', namespace: 'shop', name: 'web' },
      })
    );
    await b.engine.approve(second, 'alice');
    await b.engine.idle();
    expect(await b.engine.actions.get(second)).toMatchObject({ state: 'succeeded' });
    expect(replicas(inGrafana, 'web')).toBe(3);
    expect(replicas(fromConfig)).toBe(4);
  });

  it('keeps the saved access across a restart, over the config file; DELETE goes back to the config', async () => {
    let b = await startBackend();
    expect((await saveEndpoint(b, inGrafana.front.url)).statusCode).toBe(200);

    b = await b.restart();
    expect((await b.call('GET', '/api/kubernetes')).json()).toMatchObject({
      source: 'grafana',
      url: inGrafana.front.url,
      updatedBy: 'admin',
    });
    expect((await testConnection(b)).ok).toBe(true);
    expect(reachedWith(inGrafana, GRAFANA_TOKEN)).toBe(true);
    expect(fromConfig.kube.requests).toEqual([]);
    expect(logs.filter((l) => l.includes('Kubernetes access as saved in Grafana')).length).toBeGreaterThanOrEqual(2);

    const reset = await b.call('DELETE', '/api/admin/kubernetes');
    expect(reset.statusCode).toBe(200);
    expect(reset.json()).toMatchObject({ source: 'config', url: fromConfig.front.url });
    expect((await testConnection(b)).ok).toBe(true);
    expect(reachedWith(fromConfig, CONFIG_TOKEN)).toBe(true);

    b = await b.restart();
    expect((await b.call('GET', '/api/kubernetes')).json()).toMatchObject({
      source: 'config',
      url: fromConfig.front.url,
    });
    expect(logs.some((l) => l.includes("Kubernetes access from the backend's config"))).toBe(true);

    // Both changes are in the audit log, oldest first, without the token.
    const audit = (await b.call('GET', '/api/audit?kind=kubernetes_changed')).json() as { items: AuditEntry[] };
    expect(audit.items.map((e) => [e.user, (e.details as { after?: unknown } | undefined)?.after])).toEqual(
      expect.arrayContaining([
        ['admin', expect.objectContaining({ source: 'grafana', url: inGrafana.front.url })],
        ['admin', expect.objectContaining({ source: 'config', url: fromConfig.front.url })],
      ])
    );
    expect(audit.items).toHaveLength(2);
    expect(JSON.stringify(audit)).not.toContain(GRAFANA_TOKEN);
  });
});
