import {
  actionStateSchema,
  type HealingTrigger,
  type LadderPosition,
  type PlannedAction,
} from '../../src/contract/healing';
import { finished, finishedSql, triggerKey, type StoredAction } from '../../src/server/healing/store/actionRows';
import type { Store } from '../../src/server/store/store';
import { z } from 'zod';
import { storesAt } from './storesAt';

// An action is finished in two places: the intake ends an alert's episode on the finished actions of
// its trigger (TypeScript, on actions read back), and the healing prune deletes a trigger only once its
// actions are (SQL, on both stores). They cannot be one piece of code, so they are checked against each
// other: on every state, for a cordon and a notification, each outside a ladder and on a ladder's step.

const T = 1_700_000_000_000;
const stores = storesAt(T, 'tidy37_finished_');

const trigger: HealingTrigger = { source: 'alert', id: 'f1', labels: {}, severity: 'high', startedAt: T };
const cordon = (node: string): PlannedAction => ({ type: 'cordon', node });
const notify = (): PlannedAction => ({ type: 'notify', message: 'cart is slow' });
const ladder: LadderPosition = { policy: 'p', step: 1, steps: 2, verifySeconds: 300, previous: [] };
/** A cordon and a notification, each outside a ladder and on a ladder's step. */
const kinds = [
  { action: cordon, ladder: undefined },
  { action: cordon, ladder },
  { action: notify, ladder: undefined },
  { action: notify, ladder },
];

/** Each store with a way to run a query on it: SQLite in memory, PostgreSQL on a fresh database. */
const opens: Record<string, () => Promise<{ store: Store; rows: (sql: string) => Promise<unknown[]> }>> = {
  SQLite: async () => {
    const store = stores.sqlite();
    return { store, rows: async (sql) => store.db.prepare(sql).all() };
  },
  PostgreSQL: async () => {
    const store = await stores.postgresAt(await stores.database());
    return { store, rows: async (sql) => (await store.pool.query(sql)).rows };
  },
};

const idRow = z.object({ id: z.number().int() });

describe.each(Object.keys(opens))('a finished action, on %s', (name) => {
  it('is the same in the TypeScript the intake reads and in the SQL the prune runs, on every state', async () => {
    const { store, rows } = await opens[name]();
    const actions = store.healing.actions;
    await actions.openTrigger(trigger, T, () => undefined);
    const read: StoredAction[] = [];
    for (const state of actionStateSchema.options) {
      for (const k of kinds) {
        const node = `n${read.length}`;
        const id = await actions.insert({
          triggerKey: triggerKey(trigger),
          policy: 'p',
          gate: 'approve',
          action: k.action(node),
          target: `node ${node}`,
          ladder: k.ladder,
          at: T,
        });
        if (id === undefined) {
          throw new Error(`${node} not inserted`);
        }
        if (state !== 'proposed') {
          expect(await actions.transition({ id, from: ['proposed'], to: state, at: T })).toBe(true);
        }
        read.push((await actions.get(id))!);
      }
    }

    const sql = `SELECT a.id FROM healing_actions a WHERE ${finishedSql('a')}`;
    const inSql = new Set((await rows(sql)).map((row) => idRow.parse(row).id));
    const described = (a: StoredAction, isFinished: boolean) =>
      `${a.state} ${a.action.type}${a.ladder ? ' on a ladder' : ''}: ${isFinished ? 'finished' : 'not finished'}`;
    expect(read.map((a) => described(a, inSql.has(a.id)))).toEqual(read.map((a) => described(a, finished(a))));
    // Not a vacuous match: what tells a notification apart, and the states on either side.
    expect(read.filter(finished).map((a) => described(a, true))).toEqual(
      expect.arrayContaining([
        'succeeded notify: finished',
        'failed cordon: finished',
        'failed notify on a ladder: finished',
      ])
    );
    expect(read.filter((a) => !finished(a)).map((a) => described(a, false))).toEqual(
      expect.arrayContaining([
        'succeeded notify on a ladder: not finished',
        'succeeded cordon: not finished',
        'executing notify: not finished',
      ])
    );
  });
});
