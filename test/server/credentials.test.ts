import { auditListSchema, type AlertmanagerWebhook } from '../../src/contract/healing';
import { grafanaUser } from '../../src/server/http/auth';
import { ALERT_AUTH, AUTH, assembledApp, injectingApp, type AssembledApp } from '../harness/server';
import { createMetricsRegistry } from '../../src/server/metrics';

// Two credentials: the API token Grafana's plugin proxy sends (full API, with X-Grafana-User), and
// the alert-intake token Alertmanager or a Grafana contact point sends (POST /api/alerts only).

const firing: AlertmanagerWebhook = {
  version: '4',
  status: 'firing',
  receiver: 'failureprophet',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'cart-1', severity: 'warning' },
      annotations: {},
      fingerprint: 'f00d',
    },
  ],
};

describe('the API token and the alert-intake token', () => {
  let backend: AssembledApp;
  beforeEach(async () => {
    backend = await assembledApp();
  });
  afterEach(() => backend.close());

  const audit = async () =>
    auditListSchema.parse((await backend.app.inject({ url: '/api/audit?limit=500', headers: AUTH })).json()).items;

  it('records the Grafana user who changes a setting with the API token', async () => {
    const put = await backend.app.inject({
      method: 'PUT',
      url: '/api/admin/kill-switch',
      headers: { ...AUTH, 'x-grafana-user': 'ada' },
      payload: { engaged: true, reason: 'maintenance' },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ engaged: true, changedBy: 'ada' });
    expect((await audit()).map((e) => e.user)).toContain('ada');
  });

  it('refuses the alert token on a settings write even with a Grafana user, and records no user from it', async () => {
    const put = await backend.app.inject({
      method: 'PUT',
      url: '/api/admin/kill-switch',
      headers: { ...ALERT_AUTH, 'x-grafana-user': 'mallory' },
      payload: { engaged: true, reason: 'probe' },
    });
    expect(put.statusCode).toBe(401);
    expect((await backend.app.inject({ url: '/api/kill-switch', headers: AUTH })).json().engaged).toBe(false);

    const alerts = await backend.app.inject({
      method: 'POST',
      url: '/api/alerts',
      headers: { ...ALERT_AUTH, 'x-grafana-user': 'mallory' },
      payload: firing,
    });
    expect(alerts.statusCode).toBe(200);
    expect(alerts.json()).toMatchObject({ firing: 1, resolved: 0 });
    const entries = await audit();
    expect(entries.length).toBeGreaterThan(0);
    expect(JSON.stringify(entries)).not.toContain('mallory');
  });

  it('reads the alert token nowhere but POST /api/alerts', async () => {
    for (const url of ['/api/targets', '/api/audit', '/api/kill-switch', '/predict?target=x', '/api/nothing']) {
      expect((await backend.app.inject({ url, headers: ALERT_AUTH })).statusCode).toBe(401);
    }
    expect((await backend.app.inject({ url: '/api/targets', headers: AUTH })).statusCode).toBe(200);
    // The API token is the full API: alerts too.
    expect(
      (await backend.app.inject({ method: 'POST', url: '/api/alerts', headers: AUTH, payload: firing })).statusCode
    ).toBe(200);
  });
});

describe('grafanaUser', () => {
  it('is the header with the API token, and nothing with the alert token or on a public route', async () => {
    const app = await injectingApp({ store: { ping: () => undefined } as never, metrics: createMetricsRegistry() }, [
      async (scope) => {
        scope.post('/api/who', { config: { access: 'alerts' } }, async (request) => ({
          user: grafanaUser(request) ?? null,
        }));
        scope.get('/who', { config: { access: 'public' } }, async (request) => ({
          user: grafanaUser(request) ?? null,
        }));
      },
    ]);
    try {
      const who = async (url: string, headers: Record<string, string>) =>
        (await app.inject({ method: url === '/who' ? 'GET' : 'POST', url, headers })).json().user;
      expect(await who('/api/who', { ...AUTH, 'x-grafana-user': 'ada' })).toBe('ada');
      expect(await who('/api/who', { ...ALERT_AUTH, 'x-grafana-user': 'ada' })).toBeNull();
      expect(await who('/who', { 'x-grafana-user': 'ada' })).toBeNull();
    } finally {
      await app.close();
    }
  });
});
