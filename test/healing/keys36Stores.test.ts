import type { ActionState, HealingTrigger, PlannedAction } from '../../src/contract/healing';
import { triggerKey } from '../../src/server/healing/store/actionRows';
import type { ClaimDecision } from '../../src/server/healing/store/repositories';
import type { Store } from '../../src/server/store/store';
import { storesAt } from '../store/storesAt';

// Two keys the healing stores must keep apart, on both stores. The re-proposal limit counts the
// archives of exactly this trigger's action (an alert's id is whatever its sender wrote, so it may
// hold `#superseded-`). A node's hold passes only to the action holding it already or to the one the
// claim names as done with it (a ladder's drain after its cordon), never silently to another.

const T = 1_700_000_000_000;
const WINDOW = { cooldownSince: T - 3_600_000, hourSince: T - 3_600_000 };

const stores = storesAt(T, 'keys36_').byKind;

const alert = (id: string): HealingTrigger => ({
  source: 'alert',
  id,
  labels: { alertname: 'KubeNodeNotReady', node: 'n1' },
  severity: 'high',
  startedAt: T,
});

const SCALE: PlannedAction = {
  type: 'scale',
  target: { kind: 'deployment', namespace: 'shop', name: 'cart' },
  replicas: 4,
  ceiling: 9,
};
const drain = (node: string): PlannedAction => ({ type: 'drain', node });

describe.each(Object.keys(stores))('healing store keys on %s', (kind) => {
  let store: Store;
  beforeEach(async () => {
    store = await stores[kind]();
  });

  /** A trigger of alert `id` (opened once) with a new action of `action` moved to `state`; the action's id. */
  const actionOf = async (id: string, action: PlannedAction, state: ActionState = 'proposed') => {
    const actions = store.healing.actions;
    const trigger = alert(id);
    await actions.openTrigger(trigger, T, () => undefined);
    const target = 'node' in action ? `node ${action.node}` : 'deployment shop/cart';
    const inserted = await actions.insert({
      triggerKey: triggerKey(trigger),
      policy: 'p',
      gate: 'approve',
      action,
      target,
      at: T,
    });
    if (inserted === undefined) {
      throw new Error('not inserted');
    }
    if (state !== 'proposed') {
      expect(await actions.transition({ id: inserted, from: ['proposed'], to: state, at: T })).toBe(true);
    }
    return inserted;
  };

  describe('supersededCount', () => {
    const count = (id: string) =>
      store.healing.actions.supersededCount(triggerKey(alert(id)), 'scale', 'deployment shop/cart');

    it("does not count another alert whose id holds this key's archive marker", async () => {
      const first = await actionOf('x', SCALE);
      // The next action's id: this alert's key is exactly the archive key `first` would get if superseded as it.
      const next = first + 1;
      expect(await actionOf(`x#superseded-${next}`, SCALE)).toBe(next);
      expect(await count('x')).toBe(0);

      await store.healing.actions.archiveTriggerKey(first, T + 1, 'superseded');
      await actionOf('x', SCALE);
      expect(await count('x')).toBe(1);
    });

    it('counts what was archived from that alert under its own key, and nothing of it under the other', async () => {
      await actionOf('x', SCALE);
      const marked = await actionOf('x#superseded-7', SCALE);
      await store.healing.actions.archiveTriggerKey(marked, T + 1, 'superseded');
      await actionOf('x#superseded-7', SCALE);

      expect(await count('x#superseded-7')).toBe(1);
      expect(await count('x')).toBe(0);
    });

    it('counts superseded archives only, not withdrawn or resolved ones', async () => {
      const a = await actionOf('y', SCALE);
      await store.healing.actions.archiveTriggerKey(a, T + 1, 'withdrawn');
      const b = await actionOf('y', SCALE);
      await store.healing.actions.archiveTriggerKey(b, T + 2, 'resolved');
      const c = await actionOf('y', SCALE);
      await store.healing.actions.archiveTriggerKey(c, T + 3, 'superseded');
      await actionOf('y', SCALE);

      expect(await count('y')).toBe(1);
    });
  });

  describe('node holds', () => {
    /** A claim whose decision goes ahead and holds `node`, taking over `takesOver` if named. */
    const claimHolding = (node: string, takesOver?: number) => (): ClaimDecision => ({
      to: 'executing',
      changes: { startedAt: T },
      audit: [],
      holdNode: node,
      ...(takesOver !== undefined ? { takesOver } : {}),
    });

    const holds = async () => store.healing.actions.heldNodes();

    it("refuses a claim that would take another action's hold without naming it", async () => {
      const first = await actionOf('d1', drain('n1'), 'approved');
      const second = await actionOf('d2', drain('n1'), 'approved');
      expect(await store.healing.actions.claim(first, T, WINDOW, claimHolding('n1'))).toMatchObject({
        to: 'executing',
      });

      expect(await store.healing.actions.claim(second, T + 1, WINDOW, claimHolding('n1'))).toBeUndefined();
      expect((await store.healing.actions.get(second))?.state).toBe('approved');
      expect(await holds()).toEqual([{ node: 'n1', actionId: first }]);
    });

    it('refuses a claim naming a holder other than the one holding the node', async () => {
      const first = await actionOf('d1', drain('n1'), 'approved');
      const other = await actionOf('d3', drain('n3'), 'approved');
      const second = await actionOf('d2', drain('n1'), 'approved');
      await store.healing.actions.claim(first, T, WINDOW, claimHolding('n1'));

      expect(await store.healing.actions.claim(second, T + 1, WINDOW, claimHolding('n1', other))).toBeUndefined();
      expect((await store.healing.actions.get(second))?.state).toBe('approved');
      expect(await holds()).toEqual([{ node: 'n1', actionId: first }]);
    });

    it('refuses a transition that would take the hold of another action', async () => {
      const first = await actionOf('d1', drain('n1'), 'approved');
      const second = await actionOf('d2', drain('n1'), 'approved');
      await store.healing.actions.claim(first, T, WINDOW, claimHolding('n1'));

      const moved = await store.healing.actions.transition({
        id: second,
        from: ['approved'],
        to: 'executing',
        at: T + 1,
        alongside: { holdNode: 'n1', audit: [{ at: T + 1, actionId: second, kind: 'executing', message: 'x' }] },
      });
      expect(moved).toBe(false);
      expect((await store.healing.actions.get(second))?.state).toBe('approved');
      expect(await holds()).toEqual([{ node: 'n1', actionId: first }]);
      const executing = await store.healing.audit.list({ kind: ['executing'], limit: 10, offset: 0, format: 'json' });
      expect(executing.items).toEqual([]);
    });

    it("takes over the hold the claim names (a ladder's drain after its cordon)", async () => {
      const cordon = await actionOf('c1', { type: 'cordon', node: 'n1' }, 'approved');
      await store.healing.actions.claim(cordon, T, WINDOW, claimHolding('n1'));
      await store.healing.actions.transition({ id: cordon, from: ['executing'], to: 'succeeded', at: T + 1 });
      const drainAfter = await actionOf('c1-drain', drain('n1'), 'approved');

      expect(await store.healing.actions.claim(drainAfter, T + 2, WINDOW, claimHolding('n1', cordon))).toMatchObject({
        to: 'executing',
      });
      expect(await holds()).toEqual([{ node: 'n1', actionId: drainAfter }]);
    });

    it('lets a paused drain claim its own hold again, and a free node be held', async () => {
      const paused = await actionOf('d1', drain('n1'), 'approved');
      await store.healing.actions.claim(paused, T, WINDOW, claimHolding('n1'));
      expect(
        await store.healing.actions.transition({ id: paused, from: ['executing'], to: 'approved', at: T + 1 })
      ).toBe(true);
      const free = await actionOf('d2', drain('n2'), 'approved');

      expect(await store.healing.actions.claim(paused, T + 2, WINDOW, claimHolding('n1'))).toMatchObject({
        to: 'executing',
      });
      expect(await store.healing.actions.claim(free, T + 3, WINDOW, claimHolding('n2'))).toMatchObject({
        to: 'executing',
      });
      expect(await holds()).toEqual([
        { node: 'n1', actionId: paused },
        { node: 'n2', actionId: free },
      ]);
    });
  });
});
