import { Registry } from 'prom-client';
import {
  policySchema,
  safetyLimitsSchema,
  type AuditKind,
  type Breaker,
  type SafetyLimitsInput,
} from '../../src/contract/healing';
import type { HealingEngine } from '../../src/server/healing';
import type { BreakerRepository } from '../../src/server/healing/store/repositories';
import type { Store } from '../../src/server/store/store';
import { engineOn, tickDone } from '../healing/engineOn';
import { anomaly } from '../healing/setup';
import { startHarness, type Harness } from '../kube/harness';
import { deployment } from '../kube/objects';
import { storesAt } from './storesAt';

// Retention of closed circuit breakers, through the engine's own prune on each store: a breaker closed
// before the retention goes, an open one stays however old, a recently closed one stays, and so does
// one the breaker still reads (its last close on a target, within the window, whatever the retention).
// Around the prune, cart's breaker trips on the fourth automatic restart and recovers once closed, as
// before.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CART = 'deployment shop/cart';

const stores = storesAt(Date.parse('2025-06-01T12:00:00Z'), 'retention39breakers');

describe.each(Object.keys(stores.byKind))('closed circuit breakers pruned on %s', (kind) => {
  let h: Harness;
  let store: Store;
  let engine: HealingEngine;
  let metrics: Registry;
  beforeEach(async () => {
    h = await startHarness();
    h.kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 3 }));
    store = await stores.byKind[kind]();
  });
  afterEach(async () => {
    await engine.stop();
    await h.kube.close();
  });

  const open = async (retentionDays: number, limits: SafetyLimitsInput) => {
    metrics = new Registry();
    engine = await engineOn(h, store, {
      policies: [policySchema.parse({ name: 'restart', action: { type: 'restart' }, gate: 'auto' })],
      limits: safetyLimitsSchema.parse({ cooldownSeconds: 0, ...limits }),
      retentionDays,
      metrics,
    });
  };
  const breakers = (): BreakerRepository => store.healing.breakers;
  const note = (kind: AuditKind) => (b: Breaker) => ({ at: b.closedAt ?? b.openedAt, kind, message: kind });
  /** A breaker on `target` opened at `openedAt` and closed at `closedAt`, written as the engine writes one. */
  const closedBreaker = async (target: string, openedAt: number, closedAt: number) => {
    const input = { target, actionType: 'restart' as const, repeats: 3, windowSeconds: 86_400, actionId: 1 };
    expect(await breakers().open({ ...input, at: openedAt }, note('breaker_opened'))).toBeDefined();
    expect(await breakers().close(target, closedAt, { user: 'erin' }, note('breaker_closed'))).toBeDefined();
  };
  /** An anomaly on cart, the restart it proposes taken through its gate, then an hour: the action as it stands. */
  const fire = async () => {
    const [id] = await engine.onAnomaly(anomaly());
    await engine.idle();
    await h.clock.sleep(HOUR);
    return (await engine.actions.get(id))!;
  };
  /** Three restarts run; the fourth opens the breaker and waits, until it expires an hour later. */
  const trip = async () => {
    for (let i = 0; i < 3; i++) {
      expect((await fire()).state).toBe('succeeded');
    }
    const fourth = await fire();
    expect(fourth).toMatchObject({ state: 'awaiting_approval', reason: { kind: 'circuit-breaker' } });
    await tickDone(engine);
    expect((await engine.actions.get(fourth.id))!.state).toBe('expired');
    return fourth;
  };
  const prunedBreakers = async () =>
    (await metrics.getSingleMetric('failureprophet_healing_pruned_total')!.get()).values.find(
      (v) => v.labels.table === 'healing_breakers'
    )?.value;

  it('prunes a breaker closed before the retention, keeps an open one and a recent one, and trips and recovers as before', async () => {
    await open(30, {}); // the default breaker: 3 repeats in 24 h
    const t0 = h.clock.now();
    await closedBreaker('deployment shop/old', t0, t0 + HOUR);
    const fourth = await trip();
    h.clock.advance(38 * DAY);
    const recentClose = h.clock.now() + HOUR;
    await closedBreaker('deployment shop/recent', h.clock.now(), recentClose);

    // Forty days on: the cutoff is 30 days back.
    h.clock.advance(2 * DAY);
    await tickDone(engine);
    expect(await prunedBreakers()).toBe(1);
    expect(await breakers().lastClosedAt('deployment shop/old')).toBeUndefined();
    expect(await breakers().lastClosedAt('deployment shop/recent')).toBe(recentClose);
    // Cart's, open for forty days, stays and still holds automatic actions there.
    expect(await engine.openBreakers()).toEqual([
      expect.objectContaining({ target: CART, actionId: fourth.id, openedAt: t0 + 3 * HOUR }),
    ]);
    const held = await fire();
    expect(held).toMatchObject({ state: 'awaiting_approval', reason: { kind: 'circuit-breaker' } });
    await tickDone(engine);

    // Closed, automatic restarts run again, and the fourth after the close opens it again.
    expect(await engine.closeBreaker(CART, 'erin')).toBeDefined();
    const again = await trip();
    expect(await engine.openBreakers()).toEqual([expect.objectContaining({ target: CART, actionId: again.id })]);
    expect(await engine.closeBreaker(CART, 'erin')).toBeDefined();

    // Past the retention cart's two closed breakers go, and the recent one, old by now; restarts on cart
    // run as on a target never held.
    h.clock.advance(31 * DAY);
    await tickDone(engine);
    expect(await prunedBreakers()).toBe(4);
    expect(await breakers().lastClosedAt(CART)).toBeUndefined();
    expect(await breakers().lastClosedAt('deployment shop/recent')).toBeUndefined();
    expect((await fire()).state).toBe('succeeded');
    expect(await engine.openBreakers()).toEqual([]);
  });

  it("keeps a breaker's last close while the breaker's window reads it, however short the retention", async () => {
    await open(1, { circuitBreaker: { maxRepeats: 3, windowSeconds: (7 * DAY) / 1000 } });
    const t0 = h.clock.now();
    await closedBreaker('deployment shop/old', t0 - 10 * DAY, t0 - 9 * DAY);
    await trip();
    const closed = await engine.closeBreaker(CART, 'erin');

    // Three days on, past the one-day retention: the close still bounds the 7-day window, so it stays.
    h.clock.advance(3 * DAY);
    await tickDone(engine);
    expect(await prunedBreakers()).toBe(1);
    expect(await breakers().lastClosedAt('deployment shop/old')).toBeUndefined();
    expect(await breakers().lastClosedAt(CART)).toBe(closed!.closedAt);
    // The three restarts before the close do not count again: the next one runs.
    expect((await fire()).state).toBe('succeeded');
    expect(await engine.openBreakers()).toEqual([]);
  });
});
