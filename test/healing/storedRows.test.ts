// Issue 15: rows read back from the store are checked with their schemas. A corrupt one is an error
// naming its table, row and column; the other actions are still read, approved and run.

import { StoredRowError } from '../../src/server/store/rows';
import { deployment } from '../kube/objects';
import { anomaly, setUp, Setup } from './setup';

let s: Setup;
afterEach(() => s.close());

const web = { kind: 'deployment' as const, namespace: 'shop', name: 'web' };

it('a corrupt action row fails naming its column, and the engine still runs the others', async () => {
  s = await setUp();
  s.kube.add(deployment({ namespace: 'shop', name: 'web', replicas: 2 }));
  const [bad] = await s.engine.onAnomaly(anomaly());
  const [good] = await s.engine.onAnomaly(anomaly({ object: web, labels: { namespace: 'shop', deployment: 'web' } }));
  // Another version's action type, and a state the engine's loop picks up.
  s.store.db
    .prepare(`UPDATE healing_actions SET action = ?, state = 'approved' WHERE id = ?`)
    .run(JSON.stringify({ type: 'reboot', node: 'n1' }), bad);

  await expect(s.engine.actions.get(bad)).rejects.toThrow(StoredRowError);
  await expect(s.engine.actions.get(bad)).rejects.toThrow(`healing_actions row ${bad} is invalid at action.type`);
  expect(await s.engine.actions.get(good)).toMatchObject({
    id: good,
    state: 'awaiting_approval',
    target: 'deployment shop/web',
  });

  expect((await s.engine.approve(good, 'alice')).ok).toBe(true);
  await s.engine.tick();
  await s.engine.idle();
  expect((await s.engine.actions.get(good))!.state).toBe('succeeded');
  expect(s.kube.get('Deployment', 'web', 'shop')?.spec?.replicas).toBe(3);
  expect(s.kube.get('Deployment', 'cart', 'shop')?.spec?.replicas).toBe(3);
});

it('a stored trigger that is not JSON, or an audit entry of a kind this version lacks, is named, not cast', async () => {
  s = await setUp();
  const trigger = anomaly();
  await s.engine.onAnomaly(trigger);
  s.store.db.prepare(`UPDATE healing_triggers SET trigger = '{not json' WHERE key = ?`).run(`anomaly:${trigger.id}`);
  await expect(s.engine.actions.trigger(`anomaly:${trigger.id}`)).rejects.toThrow(
    /^healing_triggers row is invalid at trigger: /
  );
  // The audit table refuses UPDATE (append-only): a row another version wrote is inserted instead.
  s.store.db
    .prepare(`INSERT INTO healing_audit (at, kind, message) VALUES (1, 'rebooted', 'from a newer version')`)
    .run();
  await expect(s.engine.audit.list({ limit: 10, offset: 0, format: 'json' })).rejects.toThrow(
    /^healing_audit row \d+ is invalid at kind: /
  );
});

it('JSON columns are read one way on every table: audit details that are not JSON are named, not passed on as text', async () => {
  s = await setUp();
  s.store.db
    .prepare(`INSERT INTO healing_audit (at, kind, message, details) VALUES (1, 'proposed', 'hand-written', '{cut')`)
    .run();
  await expect(s.engine.audit.list({ limit: 10, offset: 0, format: 'json' })).rejects.toThrow(
    /^healing_audit row \d+ is invalid at details: not JSON/
  );
});

it("an action's stored result is checked against its Kubernetes action's result schema", async () => {
  s = await setUp();
  const [id] = await s.engine.onAnomaly(anomaly());
  const result = (details: unknown) => JSON.stringify({ ok: true, summary: 'scaled', details });
  const scaled = {
    action: 'scale',
    target: { kind: 'deployment', namespace: 'shop', name: 'cart' },
    from: 2,
    to: 3,
    requested: 3,
    dryRun: false,
    summary: 'scaled deployment shop/cart from 2 to 3',
  };
  const update = s.store.db.prepare(`UPDATE healing_actions SET result = ? WHERE id = ?`);
  update.run(result(scaled), id);
  expect((await s.engine.actions.get(id))!.result?.details).toEqual(scaled);
  // Another shape under a known action's name: refused at the field, not handed to the API as it is.
  update.run(result({ ...scaled, to: 'three' }), id);
  await expect(s.engine.actions.get(id)).rejects.toThrow(`healing_actions row ${id} is invalid at result.details`);
});
