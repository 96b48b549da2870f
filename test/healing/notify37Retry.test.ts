// A notify action whose send failed is retried with back-off, as Alertmanager retries a failed
// notification: a 5xx, a 429 or a receiver not reached is tried again 10 s later, doubling, five
// attempts at most, then the action ends failed with the reasons; another 4xx ends it at once. A
// receiver that took it is not sent it again: a retry goes only to those that failed. Each attempt
// is claimed as any execution is (one replica sends it) and audited; one that reached no one takes
// neither the repeat interval nor a share of `maxPerHour`, one that reached someone does. Two
// replicas on one store (SQLite in one process; PostgreSQL through two pools), exactly one leading;
// the receivers are fakes behind the real notifier; time moved by the FakeClock only.

import { Registry } from 'prom-client';
import { policySchema, safetyLimitsSchema, type SafetyLimitsInput } from '../../src/contract/healing';
import { createNotifier, type HealingEngine, type NotifyConfig } from '../../src/server/healing';
import type { Store } from '../../src/server/store/store';
import { startHarness, type Harness } from '../kube/harness';
import { engineOn, tickDone } from './engineOn';
import { closeStores, electedAs, replicaStores, type ElectedRole } from './replicaStores';
import { anomaly } from './setup';

const T = Date.UTC(2025, 5, 1, 12);
const SECOND = 1000;
const stores = replicaStores(T);
const GRAFANA = 'http://grafana.local';
const WEBHOOK = 'http://receiver.local/hook';

/** What a receiver answers to an attempt about an action: a status, or 'unreachable' (connection refused). */
type Answer = number | 'unreachable';

/** A request a receiver got: which, and about which deployment (its name, from the message). */
interface Request {
  receiver: 'grafana' | 'webhook';
  about: string;
}

let round = 0;
let run: { h: Harness; stored: Store[]; engines: HealingEngine[] } | undefined;
afterEach(async () => {
  if (run) {
    for (const engine of run.engines) {
      await engine.stop();
    }
    await closeStores(run.stored);
    await run.h.kube.close();
    run = undefined;
  }
});

/**
 * Two replicas (the first leading) with an automatic notify policy, sending to `receivers` (fake:
 * each request recorded, answered by `answer`, 200 when it says nothing).
 */
async function replicas(
  kind: string,
  limits: SafetyLimitsInput,
  answer: (r: Request, nth: number) => Answer | undefined,
  receivers: Array<Request['receiver']> = ['webhook']
) {
  const h = await startHarness();
  h.clock.advance(T - h.clock.now());
  const stored = await stores[kind](`notify37retry${++round}`);
  const requests: Request[] = [];
  const fetchImpl = (async (url: string, init: RequestInit) => {
    const { text } = JSON.parse(String(init.body)) as { text: string };
    const request: Request = {
      receiver: url.startsWith(GRAFANA) ? 'grafana' : 'webhook',
      about: /shop\/([\w-]+)/.exec(text)![1],
    };
    const nth = requests.filter((q) => q.receiver === request.receiver && q.about === request.about).length;
    requests.push(request);
    const status = answer(request, nth) ?? 200;
    if (status === 'unreachable') {
      throw new TypeError('fetch failed: connect ECONNREFUSED');
    }
    return new Response(status === 200 ? 'ok' : 'no', { status });
  }) as unknown as typeof fetch;
  const config: NotifyConfig = {
    ...(receivers.includes('grafana') ? { grafana: { url: GRAFANA, token: 'glsa_x' } } : {}),
    ...(receivers.includes('webhook') ? { webhookUrl: WEBHOOK } : {}),
  };
  // The leading process's metrics (a restarted one starts its own, as a new process does).
  let leaderMetrics = new Registry();
  const open = (store: Store, role: ElectedRole) =>
    engineOn(h, store, {
      metrics: role === 'leader' ? (leaderMetrics = new Registry()) : new Registry(),
      policies: [
        policySchema.parse({ name: 'n', action: { type: 'notify', message: 'about {target}' }, gate: 'auto' }),
      ],
      limits: safetyLimitsSchema.parse(limits),
      notifier: createNotifier(config, fetchImpl),
      ...electedAs(role, T),
    });
  run = { h, stored, engines: [await open(stored[0], 'leader'), await open(stored[1], 'follower')] };
  const r = run;
  const ticks = async () => {
    for (const engine of r.engines) {
      await tickDone(engine);
    }
  };
  return {
    h,
    requests,
    /** The leader restarts: a new process on its store, nothing kept in memory. */
    restartLeader: async () => {
      await r.engines[0].stop();
      r.engines[0] = await open(r.stored[0], 'leader');
    },
    /** An anomaly on deployment shop/`name`, taken by the follower (its intake), then every tick: the action's id. */
    notifyAbout: async (name: string) => {
      const [id] = await r.engines[1].onAnomaly(
        anomaly({ severity: 'medium', object: { kind: 'deployment', namespace: 'shop', name } })
      );
      await r.engines[1].idle();
      await ticks();
      return id;
    },
    /** Every replica's tick, the leader's first, after `ms` on the clock. */
    after: async (ms: number) => {
      h.clock.advance(ms);
      await ticks();
    },
    action: async (id: number) => (await r.engines[0].actions.get(id))!,
    /** The leader's `failureprophet_healing_executed_total` for the notify policy. */
    executed: async () =>
      (await leaderMetrics.getSingleMetric('failureprophet_healing_executed_total')!.get()).values.find(
        (v) => v.labels.policy === 'n' && v.labels.action === 'notify'
      )?.value ?? 0,
    attempts: async (id: number) =>
      (await r.engines[0].audit.list({ actionId: id, kind: ['notified'], limit: 100, offset: 0, format: 'json' })).items
        .reverse()
        .map((e) => e.message),
  };
}

const about = (name: string) => (q: Request) => q.about === name;

describe.each(Object.keys(stores))('a notify action whose send failed, on %s', (kind) => {
  it('is retried after 10 s, then 20 s, by the leader only, across a restart, and takes its share once it went out', async () => {
    const r = await replicas(kind, { notifications: { maxPerHour: 1, repeatIntervalSeconds: 3600 } }, (q, nth) =>
      nth < 2 ? 503 : undefined
    );
    const id = await r.notifyAbout('cart');
    expect(r.requests).toHaveLength(1);
    const waiting = await r.action(id);
    expect(waiting).toMatchObject({
      state: 'approved',
      reason: {
        kind: 'notification',
        message: 'the webhook answered 503: no: tried again at 2025-06-01T12:00:10.000Z (attempt 2 of 5)',
      },
    });
    // Nobody was told: it holds no start (what the repeat interval and the hourly cap count).
    expect(waiting.startedAt).toBeUndefined();

    await r.after(9 * SECOND);
    expect(r.requests).toHaveLength(1);
    await r.after(SECOND);
    expect(r.requests).toHaveLength(2);
    expect((await r.action(id)).reason!.message).toContain('tried again at 2025-06-01T12:00:30.000Z (attempt 3 of 5)');

    // The attempts are read from the audit log: a restarted leader waits out the same back-off.
    await r.restartLeader();
    await r.after(19 * SECOND);
    expect(r.requests).toHaveLength(2);
    await r.after(SECOND);
    expect(r.requests).toHaveLength(3);
    const sent = await r.action(id);
    expect(sent).toMatchObject({
      state: 'succeeded',
      startedAt: T + 30 * SECOND,
      result: { ok: true, summary: 'sent a webhook to receiver.local (attempt 3 of 5)' },
    });
    expect(await r.attempts(id)).toEqual([
      'attempt 1 of 5: could not tell the operator: the webhook answered 503: no; tried again at 2025-06-01T12:00:10.000Z',
      'attempt 2 of 5: could not tell the operator: the webhook answered 503: no; tried again at 2025-06-01T12:00:30.000Z',
      'attempt 3 of 5: told the operator: sent a webhook to receiver.local',
    ]);

    // It went out: it takes the hour's one share.
    const next = await r.notifyAbout('web');
    expect(await r.action(next)).toMatchObject({ state: 'blocked', reason: { kind: 'notification-rate-limit' } });
    expect(r.requests).toHaveLength(3);
  });

  it('ends failed with the reasons after five attempts, and meanwhile and after takes no share and no repeat interval', async () => {
    let down = true;
    const r = await replicas(kind, { notifications: { maxPerHour: 2, repeatIntervalSeconds: 3600 } }, (q) =>
      q.about === 'cart' && down ? 'unreachable' : undefined
    );
    const first = await r.notifyAbout('cart');
    // While it waits for its next attempt another notification goes out: the failed one took no share.
    const other = await r.notifyAbout('web');
    expect(await r.action(other)).toMatchObject({ state: 'succeeded' });

    for (const wait of [10, 20, 40, 80]) {
      expect((await r.action(first)).state).toBe('approved');
      await r.after(wait * SECOND);
    }
    expect(r.requests.filter(about('cart'))).toHaveLength(5);
    expect(await r.action(first)).toMatchObject({
      state: 'failed',
      reason: {
        kind: 'notification',
        message: 'the webhook could not be reached: fetch failed: connect ECONNREFUSED (attempt 5 of 5)',
      },
    });
    expect(await r.attempts(first)).toHaveLength(5);
    // Two actions started, one of them tried five times: started twice, not six times.
    expect(await r.executed()).toBe(2);

    // Never sent again.
    await r.after(600 * SECOND);
    expect(r.requests.filter(about('cart'))).toHaveLength(5);

    // It told no one: the next notification about cart goes out at once (no repeat interval), and
    // the hour's cap of two still has room for it.
    down = false;
    const again = await r.notifyAbout('cart');
    expect(await r.action(again)).toMatchObject({ state: 'succeeded' });
    expect(r.requests.filter(about('cart'))).toHaveLength(6);
  });

  it('ends at once on a 4xx, but retries a 429', async () => {
    const r = await replicas(kind, { notifications: { maxPerHour: 20, repeatIntervalSeconds: 3600 } }, (q, nth) => {
      if (q.about === 'cart') {
        return 404;
      }
      return nth === 0 ? 429 : undefined;
    });
    const refused = await r.notifyAbout('cart');
    const limited = await r.notifyAbout('web');
    expect(await r.action(refused)).toMatchObject({
      state: 'failed',
      reason: { kind: 'notification', message: 'the webhook answered 404: no' },
    });
    expect((await r.action(limited)).state).toBe('approved');
    await r.after(10 * SECOND);
    expect((await r.action(limited)).state).toBe('succeeded');
    expect(r.requests.filter(about('cart'))).toHaveLength(1);
    expect(r.requests.filter(about('web'))).toHaveLength(2);
  });

  it('is not sent again to the receiver that took it, and takes its share as soon as one did', async () => {
    const r = await replicas(
      kind,
      { notifications: { maxPerHour: 1, repeatIntervalSeconds: 3600 } },
      (q, nth) => (q.receiver === 'webhook' && nth < 2 ? 503 : undefined),
      ['grafana', 'webhook']
    );
    const id = await r.notifyAbout('cart');
    expect(await r.action(id)).toMatchObject({
      state: 'approved',
      startedAt: T,
      reason: { message: expect.stringContaining('the webhook answered 503: no: tried again at') },
    });
    // Grafana took it: someone was told, so it holds the hour's one share meanwhile.
    const other = await r.notifyAbout('web');
    expect(await r.action(other)).toMatchObject({ state: 'blocked', reason: { kind: 'notification-rate-limit' } });

    await r.after(10 * SECOND);
    await r.after(20 * SECOND);
    expect(await r.action(id)).toMatchObject({
      state: 'succeeded',
      startedAt: T,
      result: { summary: 'sent a webhook to receiver.local (attempt 3 of 5)' },
    });
    const toAction = r.requests.filter(about('cart')).map((q) => q.receiver);
    expect(toAction).toEqual(['grafana', 'webhook', 'webhook', 'webhook']);
  });
});
