import type { AlertmanagerWebhook } from '../../src/contract/healing';
import { healingRoutes } from '../../src/server/http/routes/healing';
import type { App } from '../../src/server/http/server';
import { AUTH, injectingApp } from '../harness/server';
import { setUp, type Setup } from '../healing/setup';

let s: Setup;
let app: App;
beforeEach(async () => {
  s = await setUp({ withoutKube: true });
  app = await injectingApp(s, healingRoutes(s.engine));
});
afterEach(async () => {
  await app.close();
  await s.close();
});

function webhook(alert: {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}): AlertmanagerWebhook {
  return {
    version: '4',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'cart-1', ...alert.labels },
        annotations: alert.annotations ?? {},
        fingerprint: 'a1b2c3d4e5f60718',
      },
    ],
  };
}

const post = (payload: unknown) =>
  app.inject({ method: 'POST', url: '/api/alerts', payload: payload as object, headers: AUTH });

/** Rows the intake wrote: nothing may be stored from a refused alert. */
const storedTriggers = () =>
  (s.store.db.prepare('SELECT COUNT(*) AS n FROM healing_triggers').get() as { n: number }).n;

describe('the alert intake refuses oversized labels, annotations and bodies, naming the field', () => {
  it('a 4.9 MB label value: 400 naming the label, nothing stored', async () => {
    const res = await post(webhook({ labels: { huge: 'x'.repeat(4_900_000) } }));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      field: 'body.alerts.0.labels.huge',
      message: expect.stringContaining('label values are at most 1024 characters'),
    });
    expect(storedTriggers()).toBe(0);
  });

  it('more than 64 labels: 400 naming the labels', async () => {
    const labels = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`l${i}`, 'v']));
    const res = await post(webhook({ labels }));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      field: 'body.alerts.0.labels',
      message: expect.stringContaining('at most 64 labels'),
    });
  });

  it('a label name longer than 128 characters: 400', async () => {
    const res = await post(webhook({ labels: { ['n'.repeat(129)]: 'v' } }));
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('label names are at most 128 characters');
    expect(res.json().field).toBe('body.alerts.0.labels');
    expect(res.json().message.length).toBeLessThan(200);
  });

  it('an annotation longer than 8192 characters: 400 naming it', async () => {
    const res = await post(webhook({ annotations: { description: 'd'.repeat(8193) } }));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      field: 'body.alerts.0.annotations.description',
      message: expect.stringContaining('annotation values are at most 8192 characters'),
    });
  });

  it('common labels are bounded as well', async () => {
    const res = await post({ ...webhook({}), commonLabels: { team: 't'.repeat(2000) } });
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe('body.commonLabels.team');
  });

  it('a body over 5 MiB: 413, nothing stored', async () => {
    const many = webhook({});
    many.alerts = Array.from({ length: 6000 }, (_, i) => ({
      ...many.alerts[0],
      fingerprint: `f${i}`,
      annotations: { description: 'd'.repeat(1000) },
    }));
    const res = await post(many);
    expect(res.statusCode).toBe(413);
    expect(storedTriggers()).toBe(0);
  });

  it('an alert at the limits is taken', async () => {
    const labels = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`l${i}`, 'v'.repeat(1024)]));
    const res = await post(webhook({ labels, annotations: { description: 'd'.repeat(8192) } }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ firing: 1 });
  });
});
