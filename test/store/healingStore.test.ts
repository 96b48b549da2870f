import { z } from 'zod';
import {
  actionListQuerySchema,
  auditQuerySchema,
  type AnomalyTrigger,
  type HealingTrigger,
  type PlannedAction,
} from '../../src/contract/healing';
import { triggerKey } from '../../src/server/healing/store/actionRows';
import { AUDIT_PAGE, type ClaimDecision, type NewAuditEntry } from '../../src/server/healing/store/repositories';
import { targetId } from '../../src/server/pipeline/targets';
import { openPostgresStore, type PostgresStore } from '../../src/server/store/postgres';
import { StoredRowError } from '../../src/server/store/rows';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { openSqliteDatabase, type SqliteStore } from '../../src/server/store/sqlite';
import type { Store } from '../../src/server/store/store';
import { anomalyRecord } from '../harness/anomalyRecords';
import { startPostgres, type RunningPostgres } from '../harness/postgres';

// One contract for every store: each repository method, the atomic ones under concurrency (on
// PostgreSQL, replicas are separate pools racing on one database), and rows read back through
// their schemas. SQLite in memory; PostgreSQL is Debian's, a throwaway cluster for this file.

interface Fixture {
  /** `count` stores on one database: the same one for SQLite (one process), separate pools for PostgreSQL. */
  replicas(count: number): Promise<Store[]>;
  /** A statement run past the repositories (a hand edit, another version's row). */
  exec(sql: string): Promise<void>;
}

let server: RunningPostgres | undefined;
let databases = 0;
const opened: Store[] = [];
const secrets = ephemeralSecretBox();

beforeAll(async () => {
  server = await startPostgres();
}, 120_000);

afterAll(async () => {
  for (const store of opened.splice(0)) {
    await store.close().catch(() => undefined);
  }
  await server?.stop();
}, 120_000);

afterEach(async () => {
  for (const store of opened.splice(0)) {
    await store.close();
  }
});

const sqlite = async (): Promise<Fixture> => {
  const store: SqliteStore = openSqliteDatabase(':memory:', () => 0, { secrets });
  opened.push(store);
  return {
    replicas: async (count) => Array.from({ length: count }, () => store),
    exec: async (sql) => void store.db.exec(sql),
  };
};

const postgres = async (): Promise<Fixture> => {
  if (!server) {
    throw new Error('the PostgreSQL test server did not start (see beforeAll)');
  }
  const url = await server.createDatabase(`contract${++databases}`);
  const stores: PostgresStore[] = [];
  const open = async () => {
    const store = await openPostgresStore(url, {
      secrets,
      limits: { maxConnections: 4 },
      replica: `replica-${stores.length}`,
      now: () => 0,
    });
    stores.push(store);
    opened.push(store);
    return store;
  };
  const first = await open();
  return {
    replicas: async (count) => {
      while (stores.length < count) {
        await open();
      }
      return stores.slice(0, count);
    },
    exec: async (sql) => void (await first.pool.query(sql)),
  };
};

const T = 1_700_000_000_000;
let seq = 0;
const trigger = (overrides: Partial<AnomalyTrigger> = {}): AnomalyTrigger => ({
  source: 'anomaly',
  id: ++seq,
  watch: 'memory',
  labels: { namespace: 'shop', pod: 'cart-0' },
  severity: 'critical',
  object: { kind: 'deployment', namespace: 'shop', name: 'cart' },
  startedAt: T,
  ...overrides,
});
const scale: PlannedAction = {
  type: 'scale',
  target: { kind: 'deployment', namespace: 'shop', name: 'cart' },
  replicas: 4,
  ceiling: 10,
};
const drain: PlannedAction = { type: 'drain', node: 'n1' };
const listQuery = (q: Record<string, unknown> = {}) => actionListQuerySchema.parse(q);
const note = (message: string): NewAuditEntry => ({ at: T, kind: 'waiting', message });
const WINDOW = { cooldownSince: T - 60_000, hourSince: T - 3_600_000 };
const run: ClaimDecision = { to: 'executing', changes: { startedAt: T }, audit: [note('claimed')] };

/** A trigger opened and one action proposed on it; its id. */
async function proposed(
  store: Store,
  t: HealingTrigger = trigger(),
  action: PlannedAction = scale,
  target = 'deployment shop/cart'
): Promise<number> {
  await store.healing.actions.openTrigger(t, T, () => undefined);
  const id = await store.healing.actions.insert({
    triggerKey: triggerKey(t),
    policy: 'scale-out',
    gate: 'approve',
    action,
    target,
    namespace: action.type === 'drain' ? undefined : 'shop',
    at: T,
  });
  if (id === undefined) {
    throw new Error('not inserted');
  }
  return id;
}

async function approved(store: Store, ...args: Parameters<typeof proposed> extends [Store, ...infer R] ? R : never) {
  const id = await proposed(store, ...args);
  expect(await store.healing.actions.transition({ id, from: ['proposed'], to: 'approved', at: T + 1 })).toBe(true);
  return id;
}

const auditMessages = async (store: Store) =>
  (await store.healing.audit.list({ limit: 500, offset: 0, format: 'json' })).items.map((e) => e.message).reverse();

describe.each([
  ['SQLite', sqlite],
  ['PostgreSQL', postgres],
])('the healing store on %s', (_name, fixture) => {
  describe('settings', () => {
    it('reads back what was set through its schema; absent is undefined; a value that does not fit is a StoredRowError', async () => {
      const f = await fixture();
      const [store] = await f.replicas(1);
      const schema = z.strictObject({ engaged: z.boolean() });
      expect(await store.settings.get('healing.killSwitch', schema)).toBeUndefined();
      await store.settings.set('healing.killSwitch', { engaged: true });
      await store.settings.set('healing.storm', null);
      expect(await store.settings.get('healing.killSwitch', schema)).toEqual({ engaged: true });
      expect(await store.settings.get('healing.storm', schema.nullable())).toBeNull();
      await store.settings.set('healing.killSwitch', { engaged: 'yes' });
      await expect(store.settings.get('healing.killSwitch', schema)).rejects.toThrow(StoredRowError);
      await expect(store.settings.get('healing.killSwitch', schema)).rejects.toThrow(
        /^settings row healing.killSwitch is invalid at engaged: /
      );
      await store.ping();
    });

    it('saves a setting and the audit entry recording it together', async () => {
      const f = await fixture();
      const [store] = await f.replicas(1);
      const id = await store.healing.audit.appendWithSetting(
        { at: T, kind: 'policies_changed', user: 'alice', message: 'alice saved 1 policy', details: { n: 1 } },
        { key: 'healing.policies', value: { value: [], updatedAt: T } }
      );
      expect(await store.settings.get('healing.policies', z.unknown())).toEqual({ value: [], updatedAt: T });
      const { items } = await store.healing.audit.list({ limit: 10, offset: 0, format: 'json' });
      expect(items).toEqual([
        { id, at: T, kind: 'policies_changed', user: 'alice', message: 'alice saved 1 policy', details: { n: 1 } },
      ]);
    });
  });

  describe('triggers', () => {
    it('opens, refreshes, closes once and reopens a trigger, auditing only what the note says', async () => {
      const f = await fixture();
      const [store] = await f.replicas(1);
      const t = trigger();
      const seen: Array<{ isNew: boolean; reopened: boolean }> = [];
      const opening = (o: { isNew: boolean; reopened: boolean }) => {
        seen.push(o);
        return o.isNew || o.reopened ? note(`opened ${o.isNew ? 'new' : 'again'}`) : undefined;
      };
      await store.healing.actions.openTrigger(t, T, opening);
      await store.healing.actions.openTrigger({ ...t, severity: 'high' }, T + 1, opening);
      expect(await store.healing.actions.closeTrigger(triggerKey(t), T + 2, note('closed'))).toBe(true);
      expect(await store.healing.actions.closeTrigger(triggerKey(t), T + 3, note('closed twice'))).toBe(false);
      expect(await store.healing.actions.trigger(triggerKey(t))).toEqual({
        trigger: { ...t, severity: 'high' },
        openedAt: T,
        closedAt: T + 2,
      });
      await store.healing.actions.openTrigger(t, T + 4, opening);
      expect(seen).toEqual([
        { isNew: true, reopened: false },
        { isNew: false, reopened: false },
        { isNew: false, reopened: true },
      ]);
      expect(await auditMessages(store)).toEqual(['opened new', 'closed', 'opened again']);
      expect(await store.healing.actions.trigger('anomaly:none')).toBeUndefined();
    });

    it('counts the distinct targets with an open trigger (storm mode)', async () => {
      const f = await fixture();
      const [store] = await f.replicas(1);
      const none = () => undefined;
      await store.healing.actions.openTrigger(trigger(), T, none);
      await store.healing.actions.openTrigger(trigger(), T, none); // the same object
      await store.healing.actions.openTrigger(trigger({ object: undefined, labels: { job: 'x' } }), T, none);
      const closed = trigger({ object: { kind: 'node', name: 'n9' } });
      await store.healing.actions.openTrigger(closed, T, none);
      await store.healing.actions.closeTrigger(triggerKey(closed), T);
      expect(await store.healing.actions.alarmingTargets()).toBe(2);
    });
  });

  describe('actions', () => {
    it('proposes an action once per trigger, type and target, even when replicas propose it at once', async () => {
      const f = await fixture();
      const stores = await f.replicas(3);
      const t = trigger();
      await stores[0].healing.actions.openTrigger(t, T, () => undefined);
      const ids = await Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          stores[i % 3].healing.actions.insert(
            {
              triggerKey: triggerKey(t),
              policy: 'p',
              gate: 'auto',
              action: scale,
              target: 'deployment shop/cart',
              at: T,
            },
            (id) => ({ ...note(`proposed ${id}`), actionId: id })
          )
        )
      );
      const made = ids.filter((id) => id !== undefined);
      expect(made).toHaveLength(1);
      expect(await auditMessages(stores[0])).toEqual([`proposed ${made[0]}`]);
      expect(await stores[1].healing.actions.get(made[0]!)).toMatchObject({
        id: made[0],
        state: 'proposed',
        trigger: t,
        triggerKey: triggerKey(t),
        policy: 'p',
        gate: 'auto',
        action: scale,
        target: 'deployment shop/cart',
        decisions: [],
        createdAt: T,
        updatedAt: T,
      });
      expect(await stores[0].healing.actions.get(9999)).toBeUndefined();
    });

    it('moves an action only from the states given: of racing transitions from every replica exactly one wins, with its audit entries', async () => {
      const f = await fixture();
      const stores = await f.replicas(3);
      const id = await proposed(stores[0]);
      const wins = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          stores[i % 3].healing.actions.transition({
            id,
            from: ['proposed'],
            to: 'awaiting_approval',
            at: T + i,
            changes: { expiresAt: T + 60_000, reason: { kind: 'storm', message: 'storm' } },
            alongside: { audit: [note(`moved by ${i}`)] },
          })
        )
      );
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect(await auditMessages(stores[0])).toEqual([`moved by ${wins.indexOf(true)}`]);
      expect(await stores[0].healing.actions.get(id)).toMatchObject({
        state: 'awaiting_approval',
        expiresAt: T + 60_000,
        reason: { kind: 'storm', message: 'storm' },
      });
      expect(
        await stores[0].healing.actions.transition({
          id,
          from: ['awaiting_approval'],
          to: 'approved',
          at: T,
          changes: { reason: null },
        })
      ).toBe(true);
      expect((await stores[0].healing.actions.get(id))!.reason).toBeUndefined();
      expect(await stores[0].healing.actions.idsInState('approved')).toEqual([id]);
      expect(await stores[0].healing.actions.countInState('approved')).toBe(1);
    });

    it('takes an executing action over only as it was read: a write by its claimant since wins', async () => {
      const f = await fixture();
      const [one, two] = await f.replicas(2);
      const id = await approved(one);
      expect(await one.healing.actions.claim(id, T + 2, WINDOW, () => run)).toMatchObject({ to: 'executing' });
      const left = (await two.healing.actions.get(id))!;
      // The claimant writes (a drain's progress): what was read is no longer the claim.
      await one.healing.actions.setProgress(id, { cordonedByDrain: true, evicted: [] }, T + 3);
      expect(await two.healing.actions.takeOver(left, T + 4)).toBe(false);
      const now = (await two.healing.actions.get(id))!;
      expect(now.updatedAt).toBe(T + 3);
      expect(await two.healing.actions.takeOver(now, T + 5)).toBe(true);
      const taken = (await one.healing.actions.get(id))!;
      expect(taken).toMatchObject({ state: 'executing', updatedAt: T + 5 });
      expect(taken.claimedBy).toBe(two.healing.actions.replica);
      // Twice from the same read: the first took it, the second finds it written.
      expect(await two.healing.actions.takeOver(now, T + 6)).toBe(false);
    });

    it('releases a claim only for its claimant, and only while the action executes', async () => {
      const f = await fixture();
      const [one, two] = await f.replicas(2);
      const id = await approved(one);
      expect(await one.healing.actions.claim(id, T + 2, WINDOW, () => run)).toMatchObject({ to: 'executing' });
      // Another replica's release leaves the claim alone.
      await two.healing.actions.releaseClaim(id, T + 3);
      const kept = (await one.healing.actions.get(id))!;
      // SQLite, one process, names no claimant: there is nothing to release.
      expect(kept.claimedBy).toBe(one.healing.actions.replica);
      expect(kept.updatedAt).toBe(T + 2);
      await one.healing.actions.releaseClaim(id, T + 4);
      const released = (await two.healing.actions.get(id))!;
      expect(released.state).toBe('executing');
      expect(released.claimedBy).toBeUndefined();
      // Claimed by nobody: whoever recovers it takes it over as read.
      expect(await two.healing.actions.takeOver(released, T + 5)).toBe(true);
      expect((await one.healing.actions.get(id))!.claimedBy).toBe(two.healing.actions.replica);
    });

    it('holds and gives back nodes with the transitions that take and release them', async () => {
      const f = await fixture();
      const [store] = await f.replicas(1);
      const id = await approved(store, trigger({ object: { kind: 'node', name: 'n1' } }), drain, 'node n1');
      const execute = (holdNode: string) =>
        store.healing.actions.transition({ id, from: ['approved'], to: 'executing', at: T, alongside: { holdNode } });
      expect(await execute('n1')).toBe(true);
      // A transition that loses holds nothing.
      expect(await execute('n2')).toBe(false);
      expect(await store.healing.actions.heldNodes()).toEqual([{ node: 'n1', actionId: id }]);
      await store.healing.actions.setProgress(id, { cordonedByDrain: true, evicted: [] }, T + 1);
      expect((await store.healing.actions.get(id))!.progress).toEqual({ cordonedByDrain: true, evicted: [] });
      expect(
        await store.healing.actions.transition({
          id,
          from: ['executing'],
          to: 'failed',
          at: T + 2,
          alongside: { releaseNode: 'n1' },
        })
      ).toBe(true);
      expect(await store.healing.actions.heldNodes()).toEqual([]);
      // Progress is kept only while it executes.
      await store.healing.actions.setProgress(id, { cordonedByDrain: false, evicted: [] }, T + 3);
      expect((await store.healing.actions.get(id))!.progress).toMatchObject({ cordonedByDrain: true });
      await store.healing.actions.transition({
        id,
        from: ['failed'],
        to: 'failed',
        at: T,
        alongside: { holdNode: 'n3' },
      });
      await store.healing.actions.releaseNode('n3');
      expect(await store.healing.actions.heldNodes()).toEqual([]);
    });

    it('reads the limit facts: what is open on the target, the last start, the hour counts and the held nodes', async () => {
      const f = await fixture();
      const [store] = await f.replicas(1);
      const started = (id: number, to: 'executing' | 'succeeded', startedAt: number) =>
        store.healing.actions.transition({ id, from: ['approved'], to, at: T, changes: { startedAt } });
      const first = await approved(store);
      await started(first, 'executing', T - 30_000);
      const other = await approved(store, trigger(), scale, 'deployment shop/web');
      await started(other, 'succeeded', T - 50 * 60_000);
      const note1 = await approved(store, trigger(), { type: 'notify', message: 'x' }, 'deployment shop/cart');
      await started(note1, 'succeeded', T - 1);
      const next = await proposed(store, trigger());
      const action = (await store.healing.actions.get(next))!;
      expect(await store.healing.actions.limitFacts(action, WINDOW)).toEqual({
        openOn: first,
        lastStart: T - 30_000,
        startedLastHour: 2,
        startedLastHourInNamespace: 2,
        notifiedLastHour: 1,
        heldNodes: [],
      });
      expect(await store.healing.actions.startsOn('deployment shop/cart', 'scale', T - 3_600_000)).toEqual([
        T - 30_000,
      ]);
      expect(await store.healing.actions.countStartedSince(T - 40 * 60_000)).toBe(1);
      expect(await store.healing.actions.countStartedSince(T - 3_600_000, 'kube-system')).toBe(0);
      expect([...(await store.healing.actions.startedByNamespace(T - 3_600_000))]).toEqual([['shop', 2]]);
    });

    it('claims an approved action once however many replicas claim it at once, deciding from facts read inside the claim', async () => {
      const f = await fixture();
      const stores = await f.replicas(3);
      const id = await approved(stores[0]);
      const decided: number[] = [];
      const claims = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          stores[i % 3].healing.actions.claim(id, T + i, WINDOW, (action, facts) => {
            decided.push(facts.startedLastHour);
            expect(action).toMatchObject({ id, state: 'approved' });
            return run;
          })
        )
      );
      const won = claims.filter((c) => c !== undefined);
      expect(won).toHaveLength(1);
      expect(won[0]).toMatchObject({ action: { id, state: 'approved' }, to: 'executing' });
      // Only a claim that found the action approved decided: the others found it taken.
      expect(decided).toEqual([0]);
      expect(await stores[2].healing.actions.get(id)).toMatchObject({ state: 'executing', startedAt: T });
      expect(await auditMessages(stores[1])).toEqual(['claimed']);
    });

    it('keeps an hourly limit across replicas: of 24 approved actions claimed at once under a limit of 2, exactly 2 run', async () => {
      const f = await fixture();
      const stores = await f.replicas(3);
      const ids: number[] = [];
      for (let i = 0; i < 24; i++) {
        ids.push(await approved(stores[0], trigger(), scale, `deployment shop/w${i}`));
      }
      const limited = (): Parameters<Store['healing']['actions']['claim']>[3] => (_action, facts) =>
        facts.startedLastHour >= 2
          ? { to: 'blocked', changes: { reason: { kind: 'rate-limit', message: 'limit' } }, audit: [] }
          : run;
      const claims = await Promise.all(
        ids.flatMap((id, i) => [0, 1].map((r) => stores[(i + r) % 3].healing.actions.claim(id, T, WINDOW, limited())))
      );
      expect(claims.filter((c) => c?.to === 'executing')).toHaveLength(2);
      expect(claims.filter((c) => c?.to === 'blocked')).toHaveLength(22);
      expect(await stores[0].healing.actions.countInState('executing')).toBe(2);
      expect(await stores[0].healing.actions.countInState('blocked')).toBe(22);
    });

    it('leaves an action approved when the claim decides it waits, and holds the node of one that runs', async () => {
      const f = await fixture();
      const [store] = await f.replicas(1);
      const id = await approved(store, trigger({ object: { kind: 'node', name: 'n1' } }), drain, 'node n1');
      expect(await store.healing.actions.claim(id, T, WINDOW, () => undefined)).toBeUndefined();
      expect((await store.healing.actions.get(id))!.state).toBe('approved');
      expect(await store.healing.actions.claim(id, T, WINDOW, () => ({ ...run, holdNode: 'n1' }))).toMatchObject({
        to: 'executing',
      });
      expect(await store.healing.actions.heldNodes()).toEqual([{ node: 'n1', actionId: id }]);
    });

    it('archives a superseded action under its own key, so the trigger may propose it again, and counts it', async () => {
      const f = await fixture();
      const [store] = await f.replicas(1);
      const t = trigger();
      const id = await proposed(store, t);
      await store.healing.actions.transition({ id, from: ['proposed'], to: 'superseded', at: T });
      await store.healing.actions.archiveTriggerKey(id, T + 5);
      const archived = (await store.healing.actions.get(id))!;
      expect(archived.triggerKey).toBe(`${triggerKey(t)}#superseded-${id}`);
      expect(await store.healing.actions.trigger(archived.triggerKey)).toMatchObject({ closedAt: T + 5 });
      const again = await proposed(store, t);
      expect(again).not.toBe(id);
      expect(await store.healing.actions.supersededCount(triggerKey(t), 'scale', 'deployment shop/cart')).toBe(1);
    });

    it('notes a reason with its audit entry, and lists what waits: expired, to verify', async () => {
      const f = await fixture();
      const [store] = await f.replicas(1);
      const waiting = await proposed(store);
      await store.healing.actions.transition({
        id: waiting,
        from: ['proposed'],
        to: 'awaiting_approval',
        at: T,
        changes: { expiresAt: T + 10 },
      });
      await store.healing.actions.setReason(waiting, { kind: 'node-budget', message: 'waits' }, T + 1, note('waits'));
      expect((await store.healing.actions.get(waiting))!.reason).toEqual({ kind: 'node-budget', message: 'waits' });
      expect(await auditMessages(store)).toEqual(['waits']);
      expect(await store.healing.actions.expiredIds(T + 9)).toEqual([]);
      expect(await store.healing.actions.expiredIds(T + 10)).toEqual([waiting]);
      const done = await approved(store, trigger(), scale, 'deployment shop/web');
      await store.healing.actions.transition({
        id: done,
        from: ['approved'],
        to: 'succeeded',
        at: T,
        changes: { startedAt: T, finishedAt: T + 1 },
      });
      const told = await approved(store, trigger(), { type: 'notify', message: 'hi' }, 'deployment shop/x');
      await store.healing.actions.transition({ id: told, from: ['approved'], to: 'succeeded', at: T });
      expect(await store.healing.actions.awaitingVerification()).toEqual([done]);
    });

    it('lists newest first with filters and a total, by state, policy, namespace, trigger and pipeline target', async () => {
      const f = await fixture();
      const [store] = await f.replicas(1);
      const t1 = trigger({ labels: { pod: 'b', namespace: 'shop' } });
      const a = await proposed(store, t1);
      const alert: HealingTrigger = { ...trigger({ watch: 'HighMemory' }), source: 'alert', id: 'fp-b' };
      const b = await proposed(store, alert, scale, 'deployment shop/web');
      await store.healing.actions.transition({ id: b, from: ['proposed'], to: 'approved', at: T });
      const page = await store.healing.actions.list(listQuery({ limit: '1' }));
      expect(page.total).toBe(2);
      expect(page.items.map((i) => i.id)).toEqual([b]);
      expect(
        (await store.healing.actions.list(listQuery({ state: 'approved,blocked' }))).items.map((i) => i.id)
      ).toEqual([b]);
      expect((await store.healing.actions.list(listQuery({ policy: 'none' }))).total).toBe(0);
      expect((await store.healing.actions.list(listQuery({ namespace: 'shop' }))).total).toBe(2);
      expect(
        (await store.healing.actions.list(listQuery({ triggerId: String(t1.id) }))).items.map((i) => i.id)
      ).toEqual([a]);
      expect((await store.healing.actions.list(listQuery({ triggerId: 'fp-b' }))).items.map((i) => i.id)).toEqual([b]);
      const target = targetId('memory', { namespace: 'shop', pod: 'b' });
      expect((await store.healing.actions.list(listQuery({ triggerTarget: target }))).items.map((i) => i.id)).toEqual([
        a,
      ]);
    });

    it('pages by cursor, older and newer, with its filters, each action once', async () => {
      const f = await fixture();
      const [store] = await f.replicas(1);
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push(await proposed(store, trigger(), scale, `deployment shop/web-${i}`));
      }
      await store.healing.actions.transition({ id: ids[2], from: ['proposed'], to: 'approved', at: T });
      const page = async (q: Record<string, unknown>) => {
        const { items, ...rest } = await store.healing.actions.list(listQuery({ limit: '2', ...q }));
        return { ids: items.map((a) => a.id), ...rest };
      };
      const first = await page({});
      expect(first).toEqual({ ids: [ids[4], ids[3]], total: 5, next: `o${ids[3]}`, previous: null });
      const second = await page({ cursor: first.next });
      expect(second).toEqual({ ids: [ids[2], ids[1]], total: 5, next: `o${ids[1]}`, previous: `n${ids[2]}` });
      expect(await page({ cursor: second.next })).toMatchObject({ ids: [ids[0]], next: null });
      expect(await page({ cursor: second.previous })).toMatchObject({ ids: [ids[4], ids[3]], previous: null });
      // With a state filter: the open-state statement (SQLite reads it from its partial index) pages alike.
      const proposedOnly = await page({ state: 'proposed', cursor: `o${ids[3]}` });
      expect(proposedOnly).toEqual({ ids: [ids[1], ids[0]], total: 4, next: null, previous: `n${ids[1]}` });
      expect(await page({ state: 'proposed', cursor: proposedOnly.previous })).toMatchObject({
        ids: [ids[4], ids[3]],
        previous: null,
      });
      expect((await page({ cursor: 'o999999999999999' })).ids).toEqual([ids[4], ids[3]]);
      expect(await store.healing.actions.get(99_999_999_999)).toBeUndefined();
      expect((await page({ state: 'proposed', cursor: 'n999999999999999' })).ids).toEqual([]);
    });

    it('gives the outcome rows of executed actions with their verification and trigger', async () => {
      const f = await fixture();
      const [store] = await f.replicas(1);
      const t = trigger({ predictedFailureAt: T + 600_000 });
      const id = await approved(store, t);
      await store.healing.actions.transition({
        id,
        from: ['approved'],
        to: 'verified',
        at: T,
        changes: {
          startedAt: T,
          verification: { recovered: true, message: 'recovered', at: T + 60_000 },
        },
      });
      await store.healing.actions.closeTrigger(triggerKey(t), T + 30_000);
      await proposed(store, trigger(), scale, 'deployment shop/never-ran');
      expect(await store.healing.actions.outcomeRows()).toEqual([
        {
          policy: 'scale-out',
          actionType: 'scale',
          state: 'verified',
          startedAt: T,
          verifiedAt: T + 60_000,
          closedAt: T + 30_000,
          predictedFailureAt: T + 600_000,
        },
      ]);
    });

    it('reads back a row another version wrote as a StoredRowError naming the column', async () => {
      const f = await fixture();
      const [store] = await f.replicas(1);
      const id = await proposed(store);
      await f.exec(`UPDATE healing_actions SET action = '{"type": "reboot"}' WHERE id = ${id}`);
      await expect(store.healing.actions.get(id)).rejects.toThrow(StoredRowError);
      await expect(store.healing.actions.get(id)).rejects.toThrow(
        `healing_actions row ${id} is invalid at action.type`
      );
      // The others still read.
      const other = await proposed(store, trigger(), scale, 'deployment shop/web');
      expect((await store.healing.actions.get(other))!.state).toBe('proposed');
    });
  });

  describe('the audit log', () => {
    it('appends, filters and pages newest first, and refuses changes to what it holds', async () => {
      const f = await fixture();
      const [store] = await f.replicas(1);
      const audit = store.healing.audit;
      await audit.append({ at: T, kind: 'kill_switch', user: 'alice', comment: 'c', message: 'one' });
      await audit.append({ at: T + 1, kind: 'waiting', actionId: 7, triggerId: 'a1', message: 'two', details: 'text' });
      await audit.append({ at: T + 2, kind: 'waiting', actionId: 8, message: 'three', details: [1, { x: null }] });
      const all = await audit.list({ limit: 2, offset: 0, format: 'json' });
      expect(all.total).toBe(3);
      expect(all.items.map((e) => e.message)).toEqual(['three', 'two']);
      expect(all.items[1]).toMatchObject({ kind: 'waiting', actionId: 7, triggerId: 'a1', details: 'text' });
      expect(all.items[0].details).toEqual([1, { x: null }]);
      const q = { limit: 10, offset: 0, format: 'json' as const };
      expect((await audit.list({ ...q, user: 'alice' })).items).toEqual([
        { id: expect.any(Number), at: T, kind: 'kill_switch', user: 'alice', comment: 'c', message: 'one' },
      ]);
      expect((await audit.list({ ...q, kind: ['waiting'], from: T + 2 })).items.map((e) => e.message)).toEqual([
        'three',
      ]);
      expect((await audit.list({ ...q, actionId: 7 })).total).toBe(1);
      expect((await audit.list({ ...q, triggerId: 'a1', to: T })).total).toBe(0);
      // Matched by message: the native driver's error may come from another realm than the test's Error.
      const appendOnly = { message: expect.stringMatching(/append-only/) };
      await expect(f.exec(`UPDATE healing_audit SET message = 'nothing happened'`)).rejects.toMatchObject(appendOnly);
      await expect(f.exec('DELETE FROM healing_audit')).rejects.toMatchObject(appendOnly);
      expect((await audit.list(q)).total).toBe(3);
    });

    it('pages by cursor: older and newer pages, each entry once, a page that stays put as entries arrive', async () => {
      const f = await fixture();
      const [store] = await f.replicas(1);
      const audit = store.healing.audit;
      const append = async (n: number) => {
        for (let i = 0; i < n; i++) {
          await audit.append({ at: T, kind: 'waiting', message: 'm' });
        }
      };
      await append(7);
      const page = async (q: Record<string, unknown>) => {
        const { items, ...rest } = await audit.list(auditQuerySchema.parse({ limit: '3', ...q }));
        return { ids: items.map((e) => e.id), ...rest };
      };
      const [a] = (await audit.list(auditQuerySchema.parse({ limit: '1' }))).items;
      const id = (k: number) => a.id - 7 + k; // the k-th entry appended, from 1
      const first = await page({});
      expect(first).toEqual({ ids: [id(7), id(6), id(5)], total: 7, next: `o${id(5)}`, previous: null });
      const second = await page({ cursor: first.next });
      expect(second).toEqual({ ids: [id(4), id(3), id(2)], total: 7, next: `o${id(2)}`, previous: `n${id(4)}` });
      // New entries do not move the pages already handed out: the next page is the one that was next.
      await append(3);
      expect(await page({ cursor: second.next })).toEqual({
        ids: [id(1)],
        total: 10,
        next: null,
        previous: `n${id(1)}`,
      });
      const back = await page({ cursor: second.previous });
      expect(back).toEqual({ ids: [id(7), id(6), id(5)], total: 10, next: `o${id(5)}`, previous: `n${id(7)}` });
      expect(await page({ cursor: back.previous })).toEqual({
        ids: [id(10), id(9), id(8)],
        total: 10,
        next: `o${id(8)}`,
        previous: null,
      });
      // The cursor combines with the filters; the newest page of a filter has nothing newer.
      expect((await page({ cursor: `o${id(3)}`, kind: 'waiting', limit: '10' })).ids).toEqual([id(2), id(1)]);
      expect(await page({ cursor: `n${id(10)}` })).toEqual({ ids: [], total: 10, next: `o${id(11)}`, previous: null });
      // Any id the cursor's schema lets through is a place in the list, past the ids a table column holds too.
      expect((await page({ cursor: 'o999999999999999' })).ids).toEqual([id(10), id(9), id(8)]);
      expect((await page({ cursor: 'n999999999999999' })).ids).toEqual([]);
      // As the route reads it: a query string's digits.
      expect((await page({ actionId: '99999999999' })).ids).toEqual([]);
      // The links of a page past either end of the ids are cursors the route reads, and lead back into the list.
      const pastNewest = await page({ cursor: 'n999999999999999' });
      expect(pastNewest.next).toBe('o999999999999999');
      expect((await page({ cursor: pastNewest.next })).ids).toEqual([id(10), id(9), id(8)]);
      const pastOldest = await page({ cursor: 'o0' });
      expect(pastOldest).toEqual({ ids: [], total: 10, next: null, previous: 'n0' });
      expect((await page({ cursor: pastOldest.previous })).ids).toEqual([id(3), id(2), id(1)]);
    });

    it("filters by target: the entries of the triggers its anomalies raised, none of another target's or an alert's", async () => {
      const f = await fixture();
      const [store] = await f.replicas(1);
      const audit = store.healing.audit;
      const anomalyOf = async (target: string) => {
        await f.exec(
          `INSERT INTO anomalies (target_id, watch, labels, start_ms, end_ms, peak_score, severity, failure_model, state,
             signals, direction, reasons, created_at, updated_at)
           VALUES ('${target}', 'w', '{}', ${++seq}, ${seq}, 0.9, 'high', 'crash', 'closed', '[]', 'above', '[]', 0, 0)`
        );
        const [latest] = (await store.pipeline.anomalies({ target, limit: 1 })).map((x) => x.id);
        return latest;
      };
      const cart = 'w{job="cart"}';
      const first = await anomalyOf(cart);
      const other = await anomalyOf('w{job="search"}');
      const second = await anomalyOf(cart);
      await audit.append({ at: T, kind: 'proposed', actionId: 1, triggerId: first, message: 'cart 1' });
      await audit.append({ at: T, kind: 'proposed', actionId: 2, triggerId: other, message: 'search' });
      await audit.append({ at: T, kind: 'trigger_opened', triggerId: `${first}`.padStart(16, '0'), message: 'alert' });
      await audit.append({ at: T, kind: 'storm', message: 'no trigger' });
      await audit.append({ at: T + 1, kind: 'succeeded', actionId: 3, triggerId: second, message: 'cart 2' });
      await audit.append({ at: T + 2, kind: 'breaker_opened', triggerId: first, message: 'cart 1 again' });
      const list = async (q: Record<string, unknown>) => {
        const { items, total } = await audit.list(auditQuerySchema.parse({ target: cart, ...q }));
        return { messages: items.map((e) => e.message), total };
      };
      expect(await list({})).toEqual({ messages: ['cart 1 again', 'cart 2', 'cart 1'], total: 3 });
      expect(await list({ kind: 'proposed,succeeded' })).toEqual({ messages: ['cart 2', 'cart 1'], total: 2 });
      expect(await list({ limit: '2' })).toMatchObject({ messages: ['cart 1 again', 'cart 2'], total: 3 });
      expect(await list({ target: 'w{job="nope"}' })).toEqual({ messages: [], total: 0 });
      const exported: string[] = [];
      for await (const e of audit.iterate(auditQuerySchema.parse({ target: cart, format: 'csv' }))) {
        exported.push(e.message);
      }
      expect(exported).toEqual(['cart 1', 'cart 2', 'cart 1 again']);
    });

    it('keeps the id of a target whose label holds U+0000 as the pipeline makes it, and refuses a filter holding one', async () => {
      const f = await fixture();
      const [store] = await f.replicas(1);
      const labels = { job: 'x\u0000y' };
      const id = targetId('w', labels);
      const [anomaly] = await store.pipeline.commitCycle({
        watch: 'w',
        lastProcessed: T,
        targets: [],
        anomalies: [anomalyRecord(0, { targetId: id, labels })],
        predictions: [],
        forgotten: [],
      });
      await store.healing.audit.append({ at: T, kind: 'proposed', triggerId: anomaly.id, message: 'x' });
      // Read back as written, on both stores: the id the runner holds in memory is the stored one.
      expect((await store.pipeline.anomalies({ target: id, limit: 5 })).map((a) => a.target)).toEqual([id]);
      expect(await store.healing.audit.list(auditQuerySchema.parse({ target: id }))).toMatchObject({
        total: 1,
        items: [{ message: 'x' }],
      });
      for (const parsed of [
        auditQuerySchema.safeParse({ target: 'w{job="x\u0000y"}' }),
        actionListQuerySchema.safeParse({ triggerTarget: 'w{job="x\u0000y"}' }),
      ]) {
        expect(parsed.error?.issues[0].message).toBe('a target id holds no U+0000 (NUL); ids write it as U+FFFD');
      }
    });

    it('exports every matching entry oldest first, page by page', async () => {
      const f = await fixture();
      const [store] = await f.replicas(1);
      const count = AUDIT_PAGE * 2 + 3;
      for (let i = 0; i < count; i++) {
        await store.healing.audit.append({ at: T + i, kind: i % 2 ? 'waiting' : 'storm', message: `m${i}` });
      }
      const seen: string[] = [];
      for await (const entry of store.healing.audit.iterate({ kind: ['storm'], limit: 1, offset: 0, format: 'csv' })) {
        seen.push(entry.message);
      }
      expect(seen).toEqual(Array.from({ length: AUDIT_PAGE + 2 }, (_, i) => `m${i * 2}`));
    }, 60_000);

    it('reads back an entry of a kind this version lacks as a StoredRowError', async () => {
      const f = await fixture();
      const [store] = await f.replicas(1);
      await f.exec(`INSERT INTO healing_audit (at, kind, message) VALUES (1, 'rebooted', 'from a newer version')`);
      await expect(store.healing.audit.list({ limit: 10, offset: 0, format: 'json' })).rejects.toThrow(
        /^healing_audit row \d+ is invalid at kind: /
      );
    });
  });

  describe('circuit breakers', () => {
    it('opens one breaker per target whichever replica opens it, closes it once, and remembers when', async () => {
      const f = await fixture();
      const stores = await f.replicas(3);
      const input = { target: 'deployment shop/cart', actionType: 'restart' as const, repeats: 3, windowSeconds: 3600 };
      const opened = await Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          stores[i % 3].healing.breakers.open({ ...input, actionId: i + 1, at: T + i }, (b) =>
            note(`opened by ${b.actionId}`)
          )
        )
      );
      const won = opened.filter((b) => b !== undefined);
      expect(won).toHaveLength(1);
      expect(await auditMessages(stores[0])).toEqual([`opened by ${won[0]!.actionId}`]);
      expect(await stores[1].healing.breakers.openOn(input.target)).toEqual(won[0]);
      expect(await stores[2].healing.breakers.listOpen()).toEqual([won[0]]);
      expect(await stores[0].healing.breakers.lastClosedAt(input.target)).toBeUndefined();
      const closes = await Promise.all(
        stores.map((s, i) =>
          s.healing.breakers.close(input.target, T + 100 + i, { user: `u${i}`, comment: 'fixed' }, (b) =>
            note(`closed by ${b.closedBy}`)
          )
        )
      );
      const closed = closes.filter((b) => b !== undefined);
      expect(closed).toHaveLength(1);
      expect(closed[0]).toMatchObject({ closedBy: expect.stringMatching(/^u[012]$/), comment: 'fixed' });
      expect(await stores[0].healing.breakers.openOn(input.target)).toBeUndefined();
      expect(await stores[0].healing.breakers.lastClosedAt(input.target)).toBe(closed[0]!.closedAt);
      // Closed, the target may open a breaker again.
      expect(
        await stores[0].healing.breakers.open({ ...input, actionId: 99, at: T + 200 }, () => note('again'))
      ).toMatchObject({ actionId: 99 });
    });
  });
});
