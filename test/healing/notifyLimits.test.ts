// The notifications' limits are safety limits like the others: set in the YAML file or saved by an
// Admin, validated by the same schema (a wrong value refused naming its field), applied at once.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { safetyLimitsSchema } from '../../src/contract/healing';
import { loadConfig } from '../../src/server/config/load';
import { healingRoutes } from '../../src/server/http/routes/healing';
import { AUTH, injectingApp } from '../harness/server';
import { anomaly, recordingNotifier, setUp } from './setup';

it('defaults as Alertmanager repeats a notification (4 h), with at most 20 an hour', () => {
  expect(safetyLimitsSchema.parse({}).notifications).toEqual({ repeatIntervalSeconds: 14_400, maxPerHour: 20 });
});

it('come from the YAML file beside the other limits, a wrong one refused naming its key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-notify-'));
  const file = (yaml: string) => {
    const path = join(dir, 'config.yaml');
    writeFileSync(path, yaml);
    return path;
  };
  try {
    const config = loadConfig({
      FP_CONFIG: file('healing:\n  limits:\n    notifications: { repeatIntervalSeconds: 3600, maxPerHour: 5 }\n'),
    });
    expect(config.healing.limits?.notifications).toEqual({ repeatIntervalSeconds: 3600, maxPerHour: 5 });
    expect(() =>
      loadConfig({ FP_CONFIG: file('healing:\n  limits:\n    notifications: { repeatIntervalSeconds: 172800 }\n') })
    ).toThrow(/healing\.limits\.notifications\.repeatIntervalSeconds \(in .*config\.yaml\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('an Admin saves them through the safety-limits API; a wrong one is a 400 naming the field; saved, they hold', async () => {
  const notifier = recordingNotifier();
  const s = await setUp({ notifier, policies: [{ name: 'tell', action: { type: 'notify' }, gate: 'auto' }] });
  const app = await injectingApp(s, healingRoutes(s.engine));
  try {
    const put = (body: unknown) =>
      app.inject({
        method: 'PUT',
        url: '/api/admin/safety-limits',
        payload: body as object,
        headers: { ...AUTH, 'x-grafana-user': 'admin' },
      });
    const bad = await put({ notifications: { maxPerHour: -1 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('body.notifications.maxPerHour');
    const saved = await put({ notifications: { maxPerHour: 1 } });
    expect(saved.json()).toMatchObject({
      source: 'store',
      limits: { notifications: { maxPerHour: 1, repeatIntervalSeconds: 14_400 } },
    });
    const target = (name: string) => anomaly({ object: { kind: 'deployment', namespace: 'shop', name } });
    const [sent] = await s.engine.onAnomaly(target('a'));
    const [held] = await s.engine.onAnomaly(target('b'));
    await s.engine.idle();
    expect((await s.engine.actions.get(sent))!.state).toBe('succeeded');
    expect((await s.engine.actions.get(held))!.reason).toMatchObject({ kind: 'notification-rate-limit' });
    expect(notifier.sent).toHaveLength(1);
  } finally {
    await app.close();
    await s.close();
  }
});
