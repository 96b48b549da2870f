import type { ActionState, HealingTrigger } from '../../src/contract/healing';
import { triggerKey, type ArchivedAs } from '../../src/server/healing/store/actionRows';
import type { Store } from '../../src/server/store/store';
import { storesAt } from './storesAt';

// Healing retention and the triggers an action was archived under when it gave its place up: a
// superseded action (`<key>#superseded-<id>`) and one withdrawn as a false positive then proposed
// again (`<key>#withdrawn-<id>`) alike stay as long as the trigger they were archived from, and go in
// the prune after it. An alert's id is whatever its sender wrote, so it may hold either marker: an
// archive is told by its trigger's own id, not by cutting its key at a marker. Both stores.

const DAY = 86_400_000;
const T = 1_700_000_000_000;
const OLD = T - 40 * DAY;
const CUTOFF = T - 30 * DAY;

const stores = storesAt(T, 'archived').byKind;

const alert = (id: string): HealingTrigger => ({
  source: 'alert',
  id,
  labels: { alertname: 'KubePodCrashLooping', namespace: 'shop' },
  severity: 'high',
  startedAt: OLD,
});

describe.each(Object.keys(stores))('archived triggers and retention on %s', (kind) => {
  let store: Store;
  beforeEach(async () => {
    store = await stores[kind]();
  });

  /** An open trigger of alert `id` with one scale moved to `state` at OLD; its key and the action's id. */
  const triggerWith = async (id: string, state: ActionState) => {
    const actions = store.healing.actions;
    const trigger = alert(id);
    await actions.openTrigger(trigger, OLD, () => undefined);
    const action = await actions.insert({
      triggerKey: triggerKey(trigger),
      policy: 'p',
      gate: 'approve',
      action: {
        type: 'scale',
        target: { kind: 'deployment', namespace: 'shop', name: 'cart' },
        replicas: 4,
        ceiling: 9,
      },
      target: 'deployment shop/cart',
      namespace: 'shop',
      at: OLD,
    });
    if (action === undefined) {
      throw new Error('not inserted');
    }
    await store.healing.actions.transition({ id: action, from: ['proposed'], to: state, at: OLD });
    return { key: triggerKey(trigger), action };
  };

  /** The trigger with its action archived as `as` (the action's state: superseded, or withdrawn: cancelled). */
  const archived = async (id: string, as: ArchivedAs) => {
    const made = await triggerWith(id, as === 'superseded' ? 'superseded' : 'cancelled');
    await store.healing.actions.archiveTriggerKey(made.action, OLD, as);
    return { ...made, archive: (await store.healing.actions.get(made.action))!.triggerKey };
  };

  const prune = () => store.healing.actions.pruneFinished(CUTOFF, 1000);

  it.each<ArchivedAs>(['superseded', 'withdrawn'])(
    'keeps a %s action under its archive key while the trigger it was archived from stays, and prunes it after',
    async (as) => {
      const { key, action, archive } = await archived('fingerprint-1', as);
      expect(archive).toBe(`${key}#${as}-${action}`);

      // The trigger is open (its anomaly or alert still on): its archive stays with its action.
      expect(await prune()).toEqual({ deleted: { healing_actions: 0, healing_triggers: 0 }, more: false });
      expect((await store.healing.actions.get(action))?.triggerKey).toBe(archive);

      // Closed long ago, the trigger goes first; its archive in the next prune.
      await store.healing.actions.closeTrigger(key, OLD + 1);
      expect(await prune()).toEqual({ deleted: { healing_actions: 0, healing_triggers: 1 }, more: false });
      expect(await store.healing.actions.get(action)).toBeDefined();
      expect(await prune()).toEqual({ deleted: { healing_actions: 1, healing_triggers: 1 }, more: false });
      expect(await store.healing.actions.get(action)).toBeUndefined();
    }
  );

  it("tells an archive by its trigger's id, whatever markers an alert's id holds", async () => {
    // An alert whose id holds a marker, with a superseded action archived from it: kept while it is open.
    const marked = await archived('fp#superseded-1', 'superseded');
    expect(marked.archive).toBe(`alert:fp#superseded-1#superseded-${marked.action}`);
    // An alert whose id reads like an archive of another alert that is still open: not an archive, it
    // goes once it closed and its actions finished.
    await triggerWith('other', 'rejected');
    const lookalike = await triggerWith('other#superseded-7', 'rejected');
    await store.healing.actions.closeTrigger(lookalike.key, OLD + 1);

    expect(await prune()).toEqual({ deleted: { healing_actions: 1, healing_triggers: 1 }, more: false });
    expect(await store.healing.actions.get(lookalike.action)).toBeUndefined();
    expect((await store.healing.actions.get(marked.action))?.triggerKey).toBe(marked.archive);
  });
});
