// Approval requests, breaker and storm announcements share the notifications' hourly cap with the
// `notify` actions: one cluster-wide budget for everything the backend sends a person. Those over it
// are audited as held back; the approval requests held back are summarised in one message with a
// link to the pending actions, at most once per repeat interval and under the same cap. Two engines
// on one store (SQLite in one process; PostgreSQL through two pools, as two replicas), the first the
// leader as in a deployment, take the same flood at once. (Two engines that both lead, each without
// an election, take each other's executing actions for a dead process's: no deployment runs so.)

import {
  policySchema,
  safetyLimitsSchema,
  type ExecutionResult,
  type PolicyInput,
  type SafetyLimitsInput,
} from '../../src/contract/healing';
import type { HealingEngine } from '../../src/server/healing';
import { actionLink, pendingLink } from '../../src/server/healing/approvals';
import type { Notification, Notifier } from '../../src/server/healing/notify';
import type { Store } from '../../src/server/store/store';
import { startHarness, type Harness } from '../kube/harness';
import { deployment } from '../kube/objects';
import { engineOn } from './engineOn';
import { closeStores, replicaStores } from './replicaStores';
import { anomaly, recordingNotifier, webhookReceiver } from './setup';

const T = Date.UTC(2025, 5, 1, 12);
const GRAFANA = 'https://grafana.example';
const PENDING = `${GRAFANA}/a/failureprophet-healing-app/actions`;
const stores = replicaStores(T);
const MINUTE = 60_000;

let round = 0;

/** Two replicas on one store and one cluster, the first leading, each with its own notifier (the first's may be given). */
async function replicas(
  kind: string,
  limits: SafetyLimitsInput,
  options: { policies?: PolicyInput[]; notifier?: Notifier } = {}
) {
  const [storeA, storeB] = await stores[kind](`announce${++round}`);
  const kube: Harness = await startHarness();
  for (let i = 0; i < 30; i++) {
    kube.kube.add(deployment({ namespace: 'shop', name: `web-${i}`, replicas: 2 }));
  }
  const replica = async (store: Store, notifier: Notifier, leads: boolean) =>
    engineOn(kube, store, {
      policies: options.policies?.map((p) => policySchema.parse(p)),
      limits: safetyLimitsSchema.parse(limits),
      notifier,
      actionLink: (id) => actionLink(GRAFANA, id),
      pendingLink: pendingLink(GRAFANA),
      leads: () => leads,
    });
  const notifiers = [recordingNotifier(), recordingNotifier()];
  const engines = [
    await replica(storeA, options.notifier ?? notifiers[0], true),
    await replica(storeB, notifiers[1], false),
  ];
  return {
    engines,
    clock: kube.clock,
    sent: () => [...notifiers[0].sent, ...notifiers[1].sent].map((n) => n.message),
    idle: () => Promise.all(engines.map((e) => e.idle())),
    audited: async (kind: 'approval_requested' | 'notified') =>
      (await engines[0].audit.list({ kind: [kind], limit: 100, offset: 0, format: 'json' })).items.reverse(),
    close: async () => {
      for (const engine of engines) {
        await engine.stop();
      }
      await closeStores([storeA, storeB]);
      await kube.kube.close();
    },
  };
}

/** A receiver that can be down: every attempt is recorded, what it accepted kept apart. */
function flakyNotifier() {
  const n = {
    down: false,
    attempts: [] as string[],
    sent: [] as Notification[],
    plan: () => ({ ok: true, summary: 'would send a webhook' }),
    send: async (notification: Notification): Promise<ExecutionResult> => {
      n.attempts.push(notification.message);
      if (n.down) {
        return {
          ok: false,
          summary: 'the webhook answered 503',
          error: { kind: 'notification', message: 'the webhook answered 503' },
        };
      }
      n.sent.push(notification);
      return { ok: true, summary: 'sent a webhook' };
    },
  };
  return n;
}

const target = (i: number, namespace = 'shop') =>
  anomaly({ severity: 'high', object: { kind: 'deployment', namespace, name: `web-${i}` } });
const HOUR = 60 * MINUTE;

describe.each(Object.keys(stores))('announcements on %s shared by two replicas', (kind) => {
  it('24 targets awaiting approval send the cap, and one summary of the rest per repeat interval', async () => {
    // The default policies: each target's restart waits for approval. Restarts, not `notify` actions:
    // a notify action is itself metered when proposed, so those proposed after the requests took the
    // cap would end blocked (next test). No storm mode here (its own announcement would take one of
    // the cap's five). The proposals wait a day, not the default hour, so the second summary still
    // counts the first ones.
    const r = await replicas(kind, {
      notifications: { maxPerHour: 5, repeatIntervalSeconds: 3600 },
      storm: { maxAlarmingTargets: 1000 },
      approvalTimeoutSeconds: 86_400,
    });
    try {
      const ids = (
        await Promise.all(Array.from({ length: 24 }, (_, i) => r.engines[i % 2].onAnomaly(target(i))))
      ).flat();
      await r.idle();
      expect(ids).toHaveLength(24);
      const states = await Promise.all(ids.map(async (id) => (await r.engines[0].actions.get(id))!.state));
      expect(states).toEqual(Array(24).fill('awaiting_approval'));
      expect(r.sent()).toHaveLength(5);
      expect(r.sent().every((m) => m.startsWith('approval needed for action '))).toBe(true);

      // Every request, sent or held back, is audited; those held back say why.
      const audited = await r.audited('approval_requested');
      expect(audited).toHaveLength(24);
      const heldBack = audited.filter((e) => e.message.startsWith('held back:'));
      expect(heldBack).toHaveLength(19);
      expect(heldBack[0].message).toBe(
        'held back: 5 notifications went out in the last hour; the limit is 5 (notifications.maxPerHour)'
      );

      // The leader's tick summarises them, once: the follower's tick leaves it to the leader.
      await r.engines[1].tick();
      await r.idle();
      expect(r.sent()).toHaveLength(5);
      // The hour's cap is full: the summary waits for room, as every other announcement does.
      await r.engines[0].tick();
      await r.idle();
      expect(r.sent()).toHaveLength(5);
      r.clock.advance(HOUR + MINUTE);
      await r.engines[0].tick();
      await r.idle();
      expect(r.sent()).toHaveLength(6);
      expect(r.sent()).toContain(`19 more actions await approval: ${PENDING}`);

      // Four more requests fill the cap again; the fifth, held back within the repeat interval,
      // waits for the next summary.
      r.clock.advance(10 * MINUTE);
      const more: number[] = [];
      for (let i = 24; i < 29; i++) {
        more.push(...(await r.engines[1].onAnomaly(target(i))));
        await r.idle();
      }
      const late = more[4];
      expect((await r.engines[0].actions.get(late))!.state).toBe('awaiting_approval');
      expect(r.sent()).toHaveLength(10);
      await r.engines[0].tick();
      await r.idle();
      expect(r.sent()).toHaveLength(10);
      expect((await r.audited('approval_requested')).at(-1)).toMatchObject({
        actionId: late,
        message: 'held back: 5 notifications went out in the last hour; the limit is 5 (notifications.maxPerHour)',
      });

      // A repeat interval after the first summary, with room again, the next says all that still wait.
      r.clock.advance(51 * MINUTE);
      await r.engines[1].tick();
      await r.engines[0].tick();
      await r.idle();
      expect(r.sent()).toHaveLength(11);
      expect(r.sent()).toContain(`20 more actions await approval: ${PENDING}`);
    } finally {
      await r.close();
    }
  });

  it('counts notify actions and announcements against each other', async () => {
    const r = await replicas(
      kind,
      { notifications: { maxPerHour: 2, repeatIntervalSeconds: 3600 } },
      {
        policies: [
          { name: 'tell', match: { namespaces: ['ops'] }, action: { type: 'notify' }, gate: 'auto' },
          { name: 'restart', match: { namespaces: ['shop'] }, action: { type: 'restart' }, gate: 'approve' },
        ],
      }
    );
    const propose = async (engine: HealingEngine, i: number, namespace?: string) => {
      const [id] = await engine.onAnomaly(target(i, namespace));
      await r.idle();
      return (await r.engines[0].actions.get(id))!;
    };
    try {
      expect(await propose(r.engines[0], 0, 'ops')).toMatchObject({ state: 'succeeded' });
      expect(await propose(r.engines[1], 0)).toMatchObject({ state: 'awaiting_approval' });
      expect(r.sent()).toHaveLength(2);

      // The notify action and the approval request took the cap: the next request is held back...
      const waiting = await propose(r.engines[0], 1);
      expect(waiting.state).toBe('awaiting_approval');
      expect((await r.audited('approval_requested')).at(-1)).toMatchObject({
        actionId: waiting.id,
        message: 'held back: 2 notifications went out in the last hour; the limit is 2 (notifications.maxPerHour)',
      });
      // ...and so is the next notify action, blocked with the reason.
      expect(await propose(r.engines[1], 1, 'ops')).toMatchObject({
        state: 'blocked',
        reason: {
          kind: 'notification-rate-limit',
          message:
            'notification held back: 2 notifications went out in the last hour; the limit is 2 (notifications.maxPerHour)',
        },
      });
      expect(r.sent()).toHaveLength(2);
    } finally {
      await r.close();
    }
  });

  it('holds back and audits a breaker announcement over the cap; its action is in the summary', async () => {
    const r = await replicas(
      kind,
      {
        cooldownSeconds: 0,
        notifications: { maxPerHour: 1, repeatIntervalSeconds: 3600 },
        approvalTimeoutSeconds: 86_400,
      },
      {
        policies: [
          { name: 'tell', match: { namespaces: ['ops'] }, action: { type: 'notify' }, gate: 'auto' },
          { name: 'restart', match: { namespaces: ['shop'] }, action: { type: 'restart' }, gate: 'auto' },
        ],
      }
    );
    const [engine] = r.engines;
    const fire = async (namespace?: string) => {
      const [id] = await engine.onAnomaly(target(0, namespace));
      await engine.idle();
      return (await engine.actions.get(id))!;
    };
    try {
      // Three restarts an hour apart, then a notify action takes the hour's one notification.
      for (let i = 0; i < 3; i++) {
        expect(await fire()).toMatchObject({ state: 'succeeded' });
        r.clock.advance(HOUR + MINUTE);
      }
      expect(await fire('ops')).toMatchObject({ state: 'succeeded' });
      expect(r.sent()).toHaveLength(1);

      // The fourth repeat opens the breaker: its announcement is held back, audited, not sent.
      const fourth = await fire();
      expect(fourth).toMatchObject({ state: 'awaiting_approval', reason: { kind: 'circuit-breaker' } });
      expect(r.sent()).toHaveLength(1);
      expect((await r.audited('notified')).at(-1)).toMatchObject({
        actionId: fourth.id,
        message: 'held back: 1 notifications went out in the last hour; the limit is 1 (notifications.maxPerHour)',
        details: {
          message: expect.stringMatching(/^circuit breaker open on deployment shop\/web-0: /),
          heldBack: true,
        },
      });

      // The action it was about waits for approval: the leader's tick summarises it once the hour has room.
      await engine.tick();
      await r.idle();
      expect(r.sent()).toHaveLength(1);
      r.clock.advance(HOUR + MINUTE);
      await engine.tick();
      await r.idle();
      expect(r.sent()).toEqual([
        'high anomaly on deployment ops/web-0: p99 latency rising',
        `1 more action awaits approval: ${PENDING}`,
      ]);
    } finally {
      await r.close();
    }
  });

  it('holds back and audits the storm summary over the cap', async () => {
    // The default policies: each restart waits for approval, and each request is announced.
    const r = await replicas(kind, {
      notifications: { maxPerHour: 2, repeatIntervalSeconds: 3600 },
      storm: { maxAlarmingTargets: 2 },
    });
    try {
      for (let i = 0; i < 3; i++) {
        await r.engines[i % 2].onAnomaly(target(i));
        await r.idle();
      }
      expect(r.sent()).toHaveLength(2);
      expect(r.sent().every((m) => m.startsWith('approval needed for action '))).toBe(true);
      const storms = await r.engines[0].audit.list({ kind: ['storm'], limit: 10, offset: 0, format: 'json' });
      expect(storms.items.map((e) => e.message)).toEqual([expect.stringMatching(/^storm: 3 targets alarm at once/)]);
      expect((await r.audited('notified')).map((e) => e.message)).toEqual([
        'storm summary: held back: 2 notifications went out in the last hour; the limit is 2 (notifications.maxPerHour)',
      ]);
    } finally {
      await r.close();
    }
  });

  it('sends the summary through the webhook with the link and without a trigger', async () => {
    const hook = webhookReceiver();
    const r = await replicas(
      kind,
      {
        notifications: { maxPerHour: 1, repeatIntervalSeconds: 3600 },
        storm: { maxAlarmingTargets: 1000 },
        approvalTimeoutSeconds: 86_400,
      },
      { notifier: hook.notifier }
    );
    try {
      for (let i = 0; i < 3; i++) {
        await r.engines[0].onAnomaly(target(i));
        await r.idle();
      }
      r.clock.advance(HOUR + MINUTE);
      await r.engines[0].tick();
      await r.idle();
      expect(hook.sent.map((m) => m.body.text)).toEqual([
        expect.stringMatching(/^:rotating_light: Failure Prophet: approval needed for action 1: /),
        `:rotating_light: Failure Prophet: 2 more actions await approval: ${PENDING}`,
      ]);
      expect(hook.sent[1].body.failureprophet).toEqual({
        at: new Date(T + HOUR + MINUTE).toISOString(),
        link: PENDING,
      });
    } finally {
      await r.close();
    }
  });

  it('with no repeat interval, the summary still waits for room under the cap', async () => {
    const r = await replicas(kind, {
      notifications: { maxPerHour: 2, repeatIntervalSeconds: 0 },
      storm: { maxAlarmingTargets: 1000 },
      approvalTimeoutSeconds: 86_400,
    });
    const proposeAndTick = async (i: number) => {
      await r.engines[0].onAnomaly(target(i));
      await r.idle();
      await r.engines[0].tick();
      await r.idle();
    };
    try {
      // Two requests take the hour; each tick after a new one held back finds the cap full.
      for (let i = 0; i < 5; i++) {
        await proposeAndTick(i);
      }
      expect(r.sent()).toHaveLength(2);
      r.clock.advance(HOUR + MINUTE);
      await r.engines[0].tick();
      await r.idle();
      expect(r.sent().at(-1)).toBe(`3 more actions await approval: ${PENDING}`);
      // The summary and one more request fill the new hour: the next held back waits again.
      await proposeAndTick(5);
      await proposeAndTick(6);
      expect(r.sent()).toHaveLength(4);
      expect(r.sent().at(-1)).toMatch(/^approval needed for action 6: /);
    } finally {
      await r.close();
    }
  });

  it('counts every request still awaiting approval in the summary, however long ago it was held back', async () => {
    // Proposals wait three days; held-back rows were pruned after a day, so "N more" undercounted.
    const r = await replicas(kind, {
      notifications: { maxPerHour: 1, repeatIntervalSeconds: 3600 },
      storm: { maxAlarmingTargets: 1000 },
      approvalTimeoutSeconds: 3 * 86_400,
    });
    const propose = async (i: number) => {
      await r.engines[0].onAnomaly(target(i));
      await r.idle();
    };
    try {
      await propose(0);
      await propose(1);
      r.clock.advance(25 * HOUR);
      await propose(2);
      await propose(3);
      expect(r.sent()).toEqual([
        expect.stringMatching(/^approval needed for action 1: /),
        expect.stringMatching(/^approval needed for action 3: /),
      ]);
      r.clock.advance(HOUR + MINUTE);
      await r.engines[0].tick();
      await r.idle();
      expect(r.sent().at(-1)).toBe(`2 more actions await approval: ${PENDING}`);

      // A day later, with nothing held back since, the summary kept as the last one says none is due.
      r.clock.advance(25 * HOUR);
      await propose(4);
      await r.engines[0].tick();
      await r.idle();
      expect(r.sent()).toHaveLength(4);
      expect(r.sent().at(-1)).toMatch(/^approval needed for action 5: /);
    } finally {
      await r.close();
    }
  });

  it('a request that could not be sent gives its share of the cap back and is counted in the summary', async () => {
    const receiver = flakyNotifier();
    const r = await replicas(
      kind,
      {
        notifications: { maxPerHour: 2, repeatIntervalSeconds: 3600 },
        storm: { maxAlarmingTargets: 1000 },
        approvalTimeoutSeconds: 86_400,
      },
      { notifier: receiver }
    );
    const propose = async (i: number) => {
      const [id] = await r.engines[0].onAnomaly(target(i));
      await r.idle();
      return id;
    };
    try {
      receiver.down = true;
      const unsent = await propose(0);
      expect((await r.audited('approval_requested')).at(-1)).toMatchObject({
        actionId: unsent,
        message: 'could not tell the operator: the webhook answered 503',
      });
      receiver.down = false;
      await propose(1);
      await propose(2);
      await propose(3);
      expect(receiver.sent.map((n) => n.actionId)).toEqual([2, 3]);

      // The summary (of the request that failed and the one held back) waits for room; when its send
      // fails it is tried again after a minute's back-off, not at every tick, nor a repeat interval later.
      r.clock.advance(HOUR + MINUTE);
      receiver.down = true;
      await r.engines[0].tick();
      await r.idle();
      r.clock.advance(2_000);
      await r.engines[0].tick();
      await r.idle();
      expect(receiver.attempts.filter((m) => m.includes('await'))).toHaveLength(1);
      receiver.down = false;
      r.clock.advance(MINUTE);
      await r.engines[0].tick();
      await r.idle();
      expect(receiver.sent.map((n) => n.message).at(-1)).toBe(`2 more actions await approval: ${PENDING}`);
      expect(receiver.attempts.filter((m) => m.includes('await'))).toHaveLength(2);
    } finally {
      await r.close();
    }
  });
});
