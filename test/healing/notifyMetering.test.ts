// Notifications are metered as Alertmanager users expect: a notification about a target repeats
// only after the repeat interval (a flapping anomaly notifies once, not at every episode), and at
// most `maxPerHour` go out in any hour whatever the number of targets; each one held back is
// blocked with its reason, audited and counted, never dropped silently.

import { anomaly, recordingNotifier, setUp, type Setup } from './setup';

const MINUTE = 60_000;
const notifyAuto = [{ name: 'tell', action: { type: 'notify' as const }, gate: 'auto' as const }];

let s: Setup;
afterEach(() => s.close());

const refusals = async (limit: string) =>
  (await s.metrics.getSingleMetric('failureprophet_safety_refusals_total')!.get()).values.find(
    (v) => v.labels.limit === limit
  )?.value ?? 0;

it('a flapping anomaly on one target notifies once per repeat interval, each episode held back audited', async () => {
  const notifier = recordingNotifier();
  s = await setUp({ notifier, policies: notifyAuto });
  const ids: number[] = [];
  // 15 episodes, one every 16 minutes for 4 hours: each opens, lasts a minute and closes.
  for (let i = 0; i < 15; i++) {
    const trigger = anomaly({ severity: 'medium' });
    ids.push(...(await s.engine.onAnomaly(trigger)));
    await s.engine.idle();
    await s.clock.sleep(MINUTE);
    await s.engine.onAnomalyClosed(trigger.id);
    await s.clock.sleep(15 * MINUTE);
  }
  expect(notifier.sent).toHaveLength(1);
  const held = await Promise.all(ids.slice(1).map(async (id) => (await s.engine.actions.get(id))!));
  expect(held.map((a) => a.state)).toEqual(Array(14).fill('blocked'));
  expect(held[0].reason).toEqual({
    kind: 'notification-repeat',
    message:
      'a notification about deployment shop/cart went out 16 min ago; it repeats after 240 min (notifications.repeatIntervalSeconds)',
  });
  const audited = await s.engine.audit.list({ kind: ['blocked'], limit: 100, offset: 0, format: 'json' });
  expect(audited.items.filter((e) => e.message.startsWith('a notification about deployment shop/cart'))).toHaveLength(
    14
  );
  expect(await refusals('notification-repeat')).toBe(14);

  // Just past four hours after the one that went out, the next episode is told again.
  await s.clock.sleep(MINUTE);
  const [again] = await s.engine.onAnomaly(anomaly({ severity: 'medium' }));
  await s.engine.idle();
  expect((await s.engine.actions.get(again))!.state).toBe('succeeded');
  expect(notifier.sent).toHaveLength(2);
});

it('a storm of 120 targets in an hour sends at most the hourly cap; the rest are held back, audited and counted', async () => {
  const notifier = recordingNotifier();
  s = await setUp({ notifier, policies: notifyAuto });
  const ids: number[] = [];
  // One new target every 30 s, each recovering before the next: never a storm by count, 120 in the hour.
  for (let i = 0; i < 120; i++) {
    const trigger = anomaly({
      severity: 'medium',
      labels: { namespace: 'shop' },
      object: { kind: 'deployment', namespace: 'shop', name: `web-${i}` },
    });
    ids.push(...(await s.engine.onAnomaly(trigger)));
    await s.engine.idle();
    await s.engine.onAnomalyClosed(trigger.id);
    await s.clock.sleep(30_000);
  }
  expect(ids).toHaveLength(120);
  expect(notifier.sent).toHaveLength(20);
  expect(notifier.sent.map((n) => n.message)).toEqual(
    Array.from({ length: 20 }, (_, i) => `medium anomaly on deployment shop/web-${i}: p99 latency rising`)
  );
  const held = await Promise.all(ids.slice(20).map(async (id) => (await s.engine.actions.get(id))!));
  expect(held.every((a) => a.state === 'blocked' && a.reason?.kind === 'notification-rate-limit')).toBe(true);
  expect(held[0].reason!.message).toBe(
    'notification held back: 20 notifications went out in the last hour; the limit is 20 (notifications.maxPerHour)'
  );
  const audited = await s.engine.audit.list({ kind: ['blocked'], limit: 200, offset: 0, format: 'json' });
  expect(audited.items.filter((e) => e.message.startsWith('notification held back'))).toHaveLength(100);
  expect(await refusals('notification-rate-limit')).toBe(100);

  // Just over an hour after the first went out, the cap has room again.
  await s.clock.sleep(30_000);
  const [later] = await s.engine.onAnomaly(
    anomaly({ severity: 'medium', object: { kind: 'deployment', namespace: 'shop', name: 'late' } })
  );
  await s.engine.idle();
  expect((await s.engine.actions.get(later))!.state).toBe('succeeded');
  expect(notifier.sent).toHaveLength(21);
});

it('a notification a person approved after the cap filled is held back at execution, not sent', async () => {
  const notifier = recordingNotifier();
  s = await setUp({
    notifier,
    policies: [{ name: 'ask', action: { type: 'notify' }, gate: 'approve' }],
    limits: { notifications: { maxPerHour: 1 } },
  });
  const [first] = await s.engine.onAnomaly(anomaly({ object: { kind: 'deployment', namespace: 'shop', name: 'a' } }));
  const [second] = await s.engine.onAnomaly(anomaly({ object: { kind: 'deployment', namespace: 'shop', name: 'b' } }));
  await s.engine.approve(first, 'alice');
  await s.engine.approve(second, 'alice');
  await s.engine.idle();
  expect((await s.engine.actions.get(first))!.state).toBe('succeeded');
  expect(await s.engine.actions.get(second)).toMatchObject({
    state: 'blocked',
    reason: { kind: 'notification-rate-limit' },
  });
  expect(notifier.sent).toHaveLength(1);
});

it('notifications take nothing from the Kubernetes actions’ hourly limit, nor they from the notifications’ cap', async () => {
  const notifier = recordingNotifier();
  s = await setUp({
    notifier,
    policies: [
      { name: 'tell', match: { severities: ['medium'] }, action: { type: 'notify' }, gate: 'auto' },
      { name: 'restart', match: { severities: ['high'] }, action: { type: 'restart' }, gate: 'auto' },
    ],
    limits: { maxActionsPerHour: 1, notifications: { maxPerHour: 1 } },
  });
  const [told] = await s.engine.onAnomaly(anomaly({ severity: 'medium' }));
  const [restarted] = await s.engine.onAnomaly(anomaly({ severity: 'high' }));
  await s.engine.idle();
  expect((await s.engine.actions.get(told))!.state).toBe('succeeded');
  expect((await s.engine.actions.get(restarted))!.state).toBe('succeeded');
});

it('a ladder’s page is news, not a repeat: it goes out within the repeat interval, and the next notice about the target waits', async () => {
  const notifier = recordingNotifier();
  s = await setUp({
    notifier,
    readSignal: async () => 0.95,
    policies: [
      { name: 'tell', match: { severities: ['medium'] }, action: { type: 'notify' }, gate: 'auto' },
      {
        name: 'cart-ladder',
        match: { severities: ['critical'] },
        action: { type: 'restart' },
        gate: 'auto',
        verifySeconds: 300,
        steps: [
          { action: { type: 'scale', delta: 1 }, gate: 'auto', verifySeconds: 300 },
          { action: { type: 'notify', message: 'page on-call: {target} does not recover' }, gate: 'auto' },
        ],
      },
    ],
  });
  const windowPasses = async () => {
    await s.clock.sleep(301_000);
    for (let i = 0; i < 2; i++) {
      await s.engine.tick();
      await s.engine.idle();
    }
  };
  await s.engine.onAnomaly(anomaly({ severity: 'medium' }));
  await s.engine.idle();
  await s.clock.sleep(20 * MINUTE);
  await s.engine.onAnomaly(anomaly({ severity: 'critical' }));
  await s.engine.idle();
  await windowPasses();
  await windowPasses();
  expect(notifier.sent.map((n) => n.message)).toEqual([
    'medium anomaly on deployment shop/cart: p99 latency rising',
    'page on-call: deployment shop/cart does not recover',
  ]);

  await s.clock.sleep(20 * MINUTE);
  const [notice] = await s.engine.onAnomaly(anomaly({ severity: 'medium' }));
  await s.engine.idle();
  expect((await s.engine.actions.get(notice))!.reason).toMatchObject({
    kind: 'notification-repeat',
    message: expect.stringMatching(/^a notification about deployment shop\/cart went out 20 min ago/),
  });
  expect(notifier.sent).toHaveLength(2);
});
