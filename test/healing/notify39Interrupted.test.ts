// A notification a process was sending when it stopped counts as an attempt and is sent again, as
// Alertmanager sends again what it had not logged as sent: after the same back-off, within the same
// five attempts, only to the receivers not recorded as having taken it, claimed by the one leader,
// and audited as interrupted; ended failed only once the five are spent. The kill switch, a namespace
// pause and its trigger closing stop it as they stop any retry. The receivers listen on a real socket
// and count what they took; a process is killed while a receiver holds its request open (its fetch
// cut, its code never running on). Both stores, exactly one replica leading at a time; time moved by
// the FakeClock only.

import { policySchema, safetyLimitsSchema } from '../../src/contract/healing';
import { coordinationConfigSchema } from '../../src/server/config/schema';
import { createNotifier, type HealingEngine } from '../../src/server/healing';
import { claimFenceMs } from '../../src/server/healing/claimFence';
import { iso } from '../../src/server/healing/lifecycle';
import { startHarness, type Harness } from '../kube/harness';
import { engineOn, tickDone } from './engineOn';
import { ANNOTATIONS, HOOK, mortalFetch, startReceivers, type Handling } from './notify39Receiver';
import { closeStores, electedAs, replicaStores, type ElectedRole } from './replicaStores';
import { anomaly } from './setup';

const T = Date.UTC(2025, 5, 1, 12);
const SECOND = 1000;
const stores = replicaStores(T);

let round = 0;
let cleanUp: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanUp.reverse()) {
    await step();
  }
  cleanUp = [];
});

/**
 * A deployment of the backend on one store: replicas with an automatic notify policy sending to a
 * Grafana annotation and a webhook (both at `handle`'s receivers). Each replica is a process that
 * can be killed; a killed one is never stopped (it cannot be: it is gone) nor run again.
 */
async function deployment(kind: string, handle: (path: string, nth: number) => Handling) {
  const h: Harness = await startHarness();
  h.clock.advance(T - h.clock.now());
  const stored = await stores[kind](`notify39interrupted${++round}`);
  const receivers = await startReceivers(handle);
  const live = new Set<HealingEngine>();
  cleanUp.push(async () => {
    for (const engine of live) {
      await engine.stop();
    }
    await closeStores(stored);
    await receivers.close();
    await h.kube.close();
  });
  /** A process on replica `replica`'s store, leading since now or following. */
  const start = async (replica: 0 | 1, role: ElectedRole) => {
    const process = mortalFetch();
    const engine = await engineOn(h, stored[replica], {
      policies: [
        policySchema.parse({ name: 'n', action: { type: 'notify', message: 'about {target}' }, gate: 'auto' }),
      ],
      limits: safetyLimitsSchema.parse({ notifications: { maxPerHour: 20, repeatIntervalSeconds: 3600 } }),
      notifier: createNotifier(
        { grafana: { url: receivers.url, token: 'glsa_x' }, webhookUrl: `${receivers.url}${HOOK}`, clock: h.clock },
        process.fetchImpl
      ),
      ...electedAs(role, h.clock.now()),
    });
    live.add(engine);
    return {
      engine,
      /** Dies where it is: what it is sending is cut, and it runs no further. */
      kill: () => {
        process.kill();
        live.delete(engine);
      },
      stop: async () => {
        await engine.stop();
        live.delete(engine);
      },
    };
  };
  return { h, receivers, start };
}

/** The claim fence a new leader waits before it takes over what another replica claimed (claimFence.ts). */
const fenceMs = (h: Harness) =>
  claimFenceMs(coordinationConfigSchema.parse({}).leaseDuration, h.client.requestTimeoutMs);

/**
 * The new leader's ticks until it has taken over the action a stopped process left executing: at
 * once when that process's claim is its own or unrecorded (SQLite: one process), after the claim
 * fence when another replica claimed it (PostgreSQL).
 */
async function takeOver(h: Harness, leader: HealingEngine, id: number): Promise<void> {
  await tickDone(leader);
  if ((await leader.actions.get(id))!.state === 'executing') {
    h.clock.advance(fenceMs(h));
    await tickDone(leader);
  }
}

const attempts = async (engine: HealingEngine, id: number) =>
  (await engine.audit.list({ actionId: id, kind: ['notified'], limit: 100, offset: 0, format: 'json' })).items
    .reverse()
    .map((e) => e.message);

const INTERRUPTED = 'the backend stopped while sending it; it may or may not have been delivered';

describe.each(Object.keys(stores))('a notification interrupted mid-send, on %s', (kind) => {
  it('is sent again by the replica that leads next, after the back-off, only to the receiver not recorded as taking it', async () => {
    const d = await deployment(kind, (path, nth) => {
      if (path === ANNOTATIONS) {
        return 200;
      }
      return ([503, 'hold', 200] as const)[nth];
    });
    const a = await d.start(0, 'leader');
    const b = await d.start(1, 'follower');
    const [id] = await b.engine.onAnomaly(
      anomaly({ severity: 'medium', object: { kind: 'deployment', namespace: 'shop', name: 'cart' } })
    );
    await b.engine.idle();
    // Attempt 1: Grafana takes it, the webhook answers 503.
    await tickDone(a.engine);
    expect((await a.engine.actions.get(id))!.reason!.message).toContain('tried again at 2025-06-01T12:00:10.000Z');

    // Attempt 2, to the webhook only: it takes the request and holds it, and the leader dies meanwhile.
    d.h.clock.advance(10 * SECOND);
    await a.engine.tick();
    await d.receivers.delivered(3);
    a.kill();
    expect((await b.engine.actions.get(id))!.state).toBe('executing');

    // The follower's replica leads now (as a new process there would); the dead leader's restarts as a follower.
    await b.stop();
    const next = await d.start(1, 'leader');
    const follower = await d.start(0, 'follower');
    await tickDone(follower.engine);
    await takeOver(d.h, next.engine, id);
    const takenAt = d.h.clock.now();
    const retryAt = iso(takenAt + 20 * SECOND);
    expect(await next.engine.actions.get(id)).toMatchObject({
      state: 'approved',
      startedAt: T,
      reason: {
        kind: 'notification',
        message: `the backend stopped while sending it to the webhook; it may or may not have been delivered: tried again at ${retryAt} (attempt 3 of 5)`,
      },
    });
    expect(d.receivers.deliveries).toHaveLength(3);

    // The back-off after a second attempt (20 s) holds for an interrupted one too.
    d.h.clock.advance(19 * SECOND);
    await tickDone(next.engine);
    await tickDone(follower.engine);
    expect(d.receivers.deliveries).toHaveLength(3);
    d.h.clock.advance(SECOND);
    await tickDone(follower.engine);
    await tickDone(next.engine);
    const host = new URL(d.receivers.url).host;
    expect(await next.engine.actions.get(id)).toMatchObject({
      state: 'succeeded',
      result: { ok: true, summary: `sent a webhook to ${host} (attempt 3 of 5)` },
    });
    expect(await attempts(next.engine, id)).toEqual([
      expect.stringMatching(
        /^attempt 1 of 5: told the operator: sent a Grafana annotation at .* \(but the webhook answered 503: no\); tried again at 2025-06-01T12:00:10.000Z$/
      ),
      `attempt 2 of 5: interrupted: the backend stopped while sending it to the webhook; it may or may not have been delivered; tried again at ${retryAt}`,
      `attempt 3 of 5: told the operator: sent a webhook to ${host}`,
    ]);
    // At least once, never more often than attempted: Grafana once, the webhook three times in three attempts.
    expect(d.receivers.to(ANNOTATIONS)).toHaveLength(1);
    expect(d.receivers.to(HOOK).map((q) => q.text)).toEqual(
      Array(3).fill(':rotating_light: Failure Prophet: about deployment shop/cart')
    );

    // Nothing more, however long.
    d.h.clock.advance(3600 * SECOND);
    await tickDone(next.engine);
    expect(d.receivers.deliveries).toHaveLength(4);
  });

  it('stopped at every attempt, restarted each time: sent five times, then failed, never a sixth', async () => {
    // Grafana takes each attempt; the webhook takes it too but holds the request open.
    const d = await deployment(kind, (path) => (path === ANNOTATIONS ? 200 : 'hold'));
    const intake = await d.start(1, 'follower');
    const [id] = await intake.engine.onAnomaly(
      anomaly({ severity: 'medium', object: { kind: 'deployment', namespace: 'shop', name: 'cart' } })
    );
    await intake.engine.idle();
    let leader = await d.start(0, 'leader');
    await leader.engine.tick();
    for (const made of [1, 2, 3, 4, 5]) {
      // Both receivers took it, and the process dies while the webhook holds it: nothing recorded, so both again.
      await d.receivers.delivered(2 * made);
      leader.kill();
      leader = await d.start(0, 'leader');
      await takeOver(d.h, leader.engine, id);
      const action = (await leader.engine.actions.get(id))!;
      if (made === 5) {
        expect(action).toMatchObject({
          state: 'failed',
          reason: { kind: 'notification', message: `${INTERRUPTED} (attempt 5 of 5)` },
          result: { ok: false, summary: `${INTERRUPTED} (attempt 5 of 5)` },
        });
        break;
      }
      const backOff = 10 * SECOND * 2 ** (made - 1);
      expect(action).toMatchObject({
        state: 'approved',
        reason: {
          message: `${INTERRUPTED}: tried again at ${iso(d.h.clock.now() + backOff)} (attempt ${made + 1} of 5)`,
        },
      });
      d.h.clock.advance(backOff - 1);
      await tickDone(leader.engine);
      expect(d.receivers.deliveries).toHaveLength(2 * made);
      d.h.clock.advance(1);
      await leader.engine.tick();
    }
    const said = await attempts(leader.engine, id);
    expect(said).toHaveLength(5);
    expect(said.every((m, i) => m.startsWith(`attempt ${i + 1} of 5: interrupted: ${INTERRUPTED}`))).toBe(true);
    // Each receiver took it once per attempt: five times, as many as the attempts.
    expect(d.receivers.to(ANNOTATIONS)).toHaveLength(5);
    expect(d.receivers.to(HOOK)).toHaveLength(5);

    d.h.clock.advance(3600 * SECOND);
    await tickDone(leader.engine);
    expect(d.receivers.deliveries).toHaveLength(10);
    expect((await leader.engine.actions.get(id))!.state).toBe('failed');
  });

  describe('is stopped before its next attempt', () => {
    /** An action whose first attempt a dead leader left in flight, taken over by a restarted one: it waits 10 s. */
    async function interrupted() {
      let calls = 0;
      const d = await deployment(kind, () => (calls++ === 0 ? 'hold' : 200));
      const intake = await d.start(1, 'follower');
      const trigger = anomaly({
        severity: 'medium',
        object: { kind: 'deployment', namespace: 'shop', name: 'cart' },
      });
      const [id] = await intake.engine.onAnomaly(trigger);
      await intake.engine.idle();
      const dead = await d.start(0, 'leader');
      await dead.engine.tick();
      await d.receivers.delivered(1);
      dead.kill();
      const leader = await d.start(0, 'leader');
      return { d, id, trigger, leader: leader.engine };
    }

    it('by the kill switch engaged while it was left executing', async () => {
      const { d, id, leader } = await interrupted();
      await leader.settings.setKillSwitch(true, 'admin');
      await takeOver(d.h, leader, id);
      d.h.clock.advance(10 * SECOND);
      await tickDone(leader);
      expect(await leader.actions.get(id)).toMatchObject({ state: 'blocked', reason: { kind: 'kill-switch' } });
      expect(d.receivers.deliveries).toHaveLength(1);
    });

    it('by a pause of its namespace, until it is lifted', async () => {
      const { d, id, leader } = await interrupted();
      await takeOver(d.h, leader, id);
      await leader.pauses.set([{ namespace: 'shop', reason: 'migration' }], 'admin');
      d.h.clock.advance(10 * SECOND);
      await tickDone(leader);
      expect(await leader.actions.get(id)).toMatchObject({
        state: 'approved',
        reason: { kind: 'namespace-paused' },
      });
      expect(d.receivers.deliveries).toHaveLength(1);
      await leader.pauses.set([], 'admin');
      await tickDone(leader);
      expect(await leader.actions.get(id)).toMatchObject({
        state: 'succeeded',
        result: {
          summary: expect.stringMatching(/^sent a Grafana annotation at .* and a webhook to .* \(attempt 2 of 5\)$/),
        },
      });
      expect(d.receivers.deliveries).toHaveLength(3);
    });

    it('by its trigger closing', async () => {
      const { d, id, trigger, leader } = await interrupted();
      await takeOver(d.h, leader, id);
      await leader.onAnomalyClosed(trigger.id);
      d.h.clock.advance(10 * SECOND);
      await tickDone(leader);
      expect(await leader.actions.get(id)).toMatchObject({ state: 'cancelled', reason: { kind: 'trigger-resolved' } });
      expect(d.receivers.deliveries).toHaveLength(1);
    });
  });
});
