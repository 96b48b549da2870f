import { actionListQuerySchema, type PlannedAction } from '../../../contract/healing';
import { migrate } from '../migrate';
import { ephemeralSecretBox } from '../secrets';
import { openSqliteDatabase } from '../sqlite';
import { migrations } from '.';

// Migration 0012 on a database an earlier build wrote: anomaly trigger ids stored as text become
// the pipeline's numbers; alerts' ids, and text no pipeline issued, stay as they were.

const T = 1_700_000_000_000;
const scale: PlannedAction = {
  type: 'scale',
  target: { kind: 'deployment', namespace: 'shop', name: 'cart' },
  replicas: 4,
  ceiling: 10,
};
/** A trigger row as the builds before 0012 wrote it: its id always text. */
const oldTrigger = (key: string, source: 'anomaly' | 'alert', id: string) => ({
  key,
  source,
  trigger: JSON.stringify({
    source,
    id,
    watch: 'memory',
    labels: { deployment: 'cart' },
    severity: 'high',
    startedAt: T,
  }),
});

it('turns the text ids of anomaly triggers into numbers, leaving alerts and other text as they were', async () => {
  const store = openSqliteDatabase(':memory:', () => T, { secrets: ephemeralSecretBox() });
  try {
    const { db } = store;
    // Back to the version before 0012, holding triggers of the old shape and an action on one.
    db.exec('DELETE FROM schema_migrations WHERE id = 12');
    const insert = db.prepare(
      'INSERT INTO healing_triggers (key, source, trigger, opened_at) VALUES (@key, @source, @trigger, 0)'
    );
    for (const row of [
      oldTrigger('anomaly:42', 'anomaly', '42'),
      oldTrigger('anomaly:7#superseded-1', 'anomaly', '7'),
      oldTrigger('alert:12345', 'alert', '12345'),
      oldTrigger('anomaly:a1', 'anomaly', 'a1'),
    ]) {
      insert.run(row);
    }
    const { actions } = store.healing;
    const id = await actions.insert({
      triggerKey: 'anomaly:42',
      policy: 'p',
      gate: 'approve',
      action: scale,
      target: 'deployment shop/cart',
      namespace: 'shop',
      at: T,
    });

    expect(migrate(db, migrations, () => T)).toEqual([12]);
    expect((await actions.trigger('anomaly:42'))?.trigger.id).toBe(42);
    expect((await actions.trigger('anomaly:7#superseded-1'))?.trigger.id).toBe(7);
    // An alert's fingerprint stays text even when it looks like a number.
    expect((await actions.trigger('alert:12345'))?.trigger.id).toBe('12345');
    // Text the pipeline never issued is not guessed at: reading it names the row.
    await expect(actions.trigger('anomaly:a1')).rejects.toMatchObject({
      message: expect.stringMatching(/^healing_triggers row .*is invalid at trigger\.id: /),
    });
    // The action list finds the action by its anomaly's id given as text (a query string).
    const found = await actions.list(actionListQuerySchema.parse({ triggerId: '42' }));
    expect(found.items.map((a) => [a.id, a.trigger.id])).toEqual([[id, 42]]);
    expect(migrate(db, migrations, () => T)).toEqual([]);
  } finally {
    await store.close();
  }
});
