// When a notification about a target may go out again: an alert that resolved and fires again is a
// new episode, so it notifies again (under the repeat interval and the hourly cap) while repeated
// deliveries of one firing never do; a send that failed told no one, so it takes neither the repeat
// interval nor a share of the cap. On both stores: the episodes and the counts are the store's.

import pino from 'pino';
import { Registry } from 'prom-client';
import {
  policySchema,
  safetyLimitsSchema,
  type AlertmanagerWebhook,
  type ExecutionResult,
  type SafetyLimitsInput,
} from '../../src/contract/healing';
import { HealingEngine } from '../../src/server/healing';
import type { Notification, Notifier } from '../../src/server/healing/notify';
import { TestClock } from '../pipeline/helpers';
import { closeStores, replicaStores } from './replicaStores';
import { anomaly, recordingNotifier } from './setup';

const T = Date.UTC(2025, 5, 1, 12);
const MINUTE = 60_000;
const stores = replicaStores(T);

let round = 0;

/** One engine on the store, telling about every trigger at once (gate auto). */
async function engineOn(kind: string, limits: SafetyLimitsInput, notifier: Notifier) {
  const both = await stores[kind](`again${++round}`);
  const clock = new TestClock(T);
  const engine = await HealingEngine.open({
    store: both[0],
    clock,
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
    policies: [policySchema.parse({ name: 'tell', action: { type: 'notify' }, gate: 'auto' })],
    limits: safetyLimitsSchema.parse(limits),
    notifier,
  });
  return {
    engine,
    clock,
    close: async () => {
      await engine.stop();
      await closeStores(both);
    },
  };
}

/** Alertmanager's webhook for the cart's alert, one firing episode told by its start. */
const cartDown = (status: 'firing' | 'resolved', startsAt: string): AlertmanagerWebhook => ({
  status,
  alerts: [
    {
      status,
      labels: { alertname: 'CartDown', namespace: 'shop', deployment: 'cart', severity: 'warning' },
      annotations: { summary: 'cart is down' },
      startsAt,
      endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : new Date(Date.parse(startsAt) + MINUTE).toISOString(),
      fingerprint: 'a1b2c3d4e5f60718',
    },
  ],
});

describe.each(Object.keys(stores))('notifications told again on %s', (kind) => {
  it('an alert that resolves and fires again notifies again; repeated deliveries of one firing never do', async () => {
    const notifier = recordingNotifier();
    const e = await engineOn(kind, { notifications: { repeatIntervalSeconds: 600 } }, notifier);
    const deliver = async (payload: AlertmanagerWebhook) => {
      const answer = await e.engine.onAlerts(payload);
      await e.engine.idle();
      return answer.proposed;
    };
    const started = '2025-06-01T11:58:00Z';
    try {
      const [first] = await deliver(cartDown('firing', started));
      // Alertmanager sends the group again (its repeat interval, a retry after a timeout): nothing new.
      expect(await deliver(cartDown('firing', started))).toEqual([]);
      expect(notifier.sent).toHaveLength(1);

      // Resolved (past its endsAt, say Prometheus restarted), then repeated with the same start:
      // Alertmanager notifies it firing anew, and so is it told anew, once.
      e.clock.advance(5 * MINUTE);
      await deliver(cartDown('resolved', started));
      e.clock.advance(15 * MINUTE);
      const [again] = await deliver(cartDown('firing', started));
      expect(await deliver(cartDown('firing', started))).toEqual([]);
      expect((await e.engine.actions.get(again))!.state).toBe('succeeded');
      expect(notifier.sent.map((n) => n.message)).toEqual([
        'medium alert on deployment shop/cart: cart is down',
        'medium alert on deployment shop/cart: cart is down',
      ]);
      // The first episode's notification keeps its history, under the episode it belonged to.
      expect(await e.engine.actions.get(first)).toMatchObject({
        state: 'succeeded',
        triggerKey: expect.stringMatching(/^alert:a1b2c3d4e5f60718@2025-06-01T11:58:00\.000Z#resolved-/),
      });

      // An episode within the repeat interval of the last notification is held back, with its reason.
      e.clock.advance(MINUTE);
      await deliver(cartDown('resolved', started));
      e.clock.advance(MINUTE);
      const [soon] = await deliver(cartDown('firing', started));
      expect(await e.engine.actions.get(soon)).toMatchObject({
        state: 'blocked',
        reason: { kind: 'notification-repeat' },
      });

      // A later one with a new start (how Alertmanager and Grafana send a fire after a resolve) is told.
      e.clock.advance(20 * MINUTE);
      await deliver(cartDown('resolved', started));
      const [later] = await deliver(cartDown('firing', '2025-06-01T12:40:00Z'));
      expect((await e.engine.actions.get(later))!.state).toBe('succeeded');
      expect(notifier.sent).toHaveLength(3);
    } finally {
      await e.close();
    }
  });

  it('a send that failed takes neither the repeat interval nor a share of the hourly cap', async () => {
    let down = true;
    const sent: Notification[] = [];
    const receiver: Notifier = {
      plan: () => ({ ok: true, summary: 'would send a webhook' }),
      send: async (n): Promise<ExecutionResult> => {
        if (down) {
          return {
            ok: false,
            summary: 'the webhook answered 503',
            error: { kind: 'notification', message: 'the webhook answered 503' },
          };
        }
        sent.push(n);
        return { ok: true, summary: 'sent a webhook' };
      },
    };
    const e = await engineOn(kind, { notifications: { repeatIntervalSeconds: 3600, maxPerHour: 1 } }, receiver);
    const tell = async () => {
      const [id] = await e.engine.onAnomaly(anomaly({ severity: 'medium' }));
      await e.engine.idle();
      return (await e.engine.actions.get(id))!;
    };
    try {
      expect(await tell()).toMatchObject({ state: 'failed', reason: { kind: 'notification' } });
      down = false;
      e.clock.advance(MINUTE);
      expect(await tell()).toMatchObject({ state: 'succeeded' });
      expect(sent).toHaveLength(1);
      // The one that went out does take them.
      e.clock.advance(MINUTE);
      expect(await tell()).toMatchObject({ state: 'blocked', reason: { kind: 'notification-repeat' } });
      const other = await e.engine.onAnomaly(
        anomaly({ severity: 'medium', object: { kind: 'deployment', namespace: 'shop', name: 'web' } })
      );
      await e.engine.idle();
      expect(await e.engine.actions.get(other[0])).toMatchObject({
        state: 'blocked',
        reason: { kind: 'notification-rate-limit' },
      });
      expect(sent).toHaveLength(1);
    } finally {
      await e.close();
    }
  });
});
