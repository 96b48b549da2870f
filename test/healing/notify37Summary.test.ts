// The leader asks the store at every tick whether a summary of the approval requests held back is
// due. Only a held-back request whose action still awaits approval makes one due: a held-back storm
// announcement (about no action) or a request already decided leaves a summary nothing to say, and
// then the check reads and writes nothing, taking no write transaction (SQLite's BEGIN IMMEDIATE, the
// claims' turn on PostgreSQL). Counted on the real stores: better-sqlite3's transactions, and the
// BEGINs PostgreSQL's clients send.

import pg from 'pg';
import type { HealingTrigger } from '../../src/contract/healing';
import { triggerKey } from '../../src/server/healing/store/actionRows';
import type { SqliteStore } from '../../src/server/store/sqlite';
import type { Store } from '../../src/server/store/store';
import { storesAt } from '../store/storesAt';

const T = Date.UTC(2025, 5, 1, 12);
const HOUR = 3_600_000;
const stores = storesAt(T, 'notify37summary').byKind;

const alert: HealingTrigger = {
  source: 'alert',
  id: 'fingerprint-1',
  labels: { alertname: 'KubePodCrashLooping', namespace: 'shop' },
  severity: 'high',
  startedAt: T,
};

/** Counts the write transactions the store opens from now on. */
function writeTransactions(kind: string, store: Store): () => number {
  if (kind === 'SQLite') {
    const spy = jest.spyOn((store as SqliteStore).db, 'transaction');
    return () => spy.mock.calls.length;
  }
  const spy = jest.spyOn(pg.Client.prototype, 'query');
  return () => spy.mock.calls.filter(([sql]) => typeof sql === 'string' && /^BEGIN\b/i.test(sql)).length;
}

afterEach(() => jest.restoreAllMocks());

describe.each(Object.keys(stores))('whether an approval summary is due, on %s', (kind) => {
  let store: Store;
  beforeEach(async () => {
    store = await stores[kind]();
  });

  /** An approval request about a restart awaiting approval: its action's id. */
  async function awaiting(): Promise<number> {
    const { actions } = store.healing;
    await actions.openTrigger(alert, T, () => undefined);
    const id = await actions.insert({
      triggerKey: triggerKey(alert),
      policy: 'p',
      gate: 'approve',
      action: { type: 'restart', target: { kind: 'deployment', namespace: 'shop', name: 'cart' } },
      target: 'deployment shop/cart',
      namespace: 'shop',
      at: T,
    });
    await actions.transition({ id: id!, from: ['proposed'], to: 'awaiting_approval', at: T });
    return id!;
  }

  /** Held back: the hour's cap (0 here) is full. */
  const heldBack = (actionId?: number) =>
    store.healing.actions.takeAnnouncement({ at: T, hourSince: T - HOUR, cap: 0, ...(actionId ? { actionId } : {}) });

  /** A tick's check, an hour on (past the repeat interval), with room under the cap. */
  const summaryAnHourOn = () => store.healing.actions.takeSummary({ at: T + HOUR, since: T, hourSince: T, cap: 20 });

  it('a held-back storm announcement makes none due, and the check takes no write transaction', async () => {
    expect((await heldBack()).sent).toBe(false);
    const transactions = writeTransactions(kind, store);
    for (let tick = 0; tick < 3; tick++) {
      expect(await summaryAnHourOn()).toBeUndefined();
    }
    expect(transactions()).toBe(0);
  });

  it('a held-back request decided since makes none due either', async () => {
    const id = await awaiting();
    await heldBack(id);
    await store.healing.actions.transition({ id, from: ['awaiting_approval'], to: 'approved', at: T });
    const transactions = writeTransactions(kind, store);
    expect(await summaryAnHourOn()).toBeUndefined();
    expect(transactions()).toBe(0);
  });

  it('a held-back request still awaiting approval makes one due, beside a held-back storm announcement', async () => {
    await heldBack();
    await heldBack(await awaiting());
    const transactions = writeTransactions(kind, store);
    expect(await summaryAnHourOn()).toMatchObject({ waiting: 1 });
    expect(transactions()).toBe(1);
    // Taken: not due again within the repeat interval.
    expect(await store.healing.actions.takeSummary({ at: T + HOUR + 1, since: T + 1, hourSince: T, cap: 20 })).toBe(
      undefined
    );
    expect(transactions()).toBe(1);
  });
});
