import type { ActionList } from '../../src/contract/healing';
import { healingRoutes } from '../../src/server/http/routes/healing';
import type { App } from '../../src/server/http/server';
import { targetId } from '../../src/server/pipeline/targets';
import { AUTH, injectingApp } from '../harness/server';
import { anomaly, setUp, Setup } from './setup';

let s: Setup;
let app: App;

beforeEach(async () => {
  // One dry-run policy for every trigger: each trigger leaves exactly one action, whatever the cluster holds.
  s = await setUp({ policies: [{ name: 'note', match: {}, action: { type: 'notify' }, gate: 'dry-run' }] });
  app = await injectingApp(s, healingRoutes(s.engine));
});
afterEach(async () => {
  await app.close();
  await s.close();
});

const list = async (query: Record<string, string>) => {
  const res = await app.inject({
    method: 'GET',
    url: '/api/actions',
    query,
    headers: AUTH,
  });
  expect(res.statusCode).toBe(200);
  return res.json() as ActionList;
};

describe('GET /api/actions?triggerTarget=', () => {
  it("returns only the actions raised by that pipeline target's anomalies", async () => {
    const cart = { namespace: 'shop', deployment: 'cart' };
    const [first] = await s.engine.onAnomaly(anomaly({ watch: 'latency', labels: cart }));
    // The same labels in another order are the same target.
    const [second] = await s.engine.onAnomaly(
      anomaly({ watch: 'latency', labels: { deployment: 'cart', namespace: 'shop' } })
    );
    // Another target: other labels, a label more, or the same labels under another watch.
    await s.engine.onAnomaly(anomaly({ watch: 'latency', labels: { namespace: 'shop', deployment: 'search' } }));
    await s.engine.onAnomaly(anomaly({ watch: 'latency', labels: { ...cart, pod: 'cart-1' } }));
    await s.engine.onAnomaly(anomaly({ watch: 'memory', labels: cart }));
    // An alert with the very same name and labels is not a pipeline target.
    await s.engine.onTrigger({ ...anomaly({ watch: 'latency', labels: cart }), source: 'alert', id: 'fp-latency' });
    expect((await list({})).total).toBe(6);

    const id = targetId('latency', cart);
    expect(id).toBe('latency{deployment="cart",namespace="shop"}');
    const only = await list({ triggerTarget: id });
    expect(only.total).toBe(2);
    expect(only.items.map((a) => a.id)).toEqual([second, first]);
    expect(only.items.every((a) => a.trigger.source === 'anomaly' && a.trigger.watch === 'latency')).toBe(true);

    expect((await list({ triggerTarget: 'latency{deployment="cart"}' })).total).toBe(0);
    // It combines with the other filters.
    expect((await list({ triggerTarget: id, state: 'awaiting_approval' })).total).toBe(0);
    expect((await list({ triggerTarget: id, state: only.items[0].state })).total).toBe(2);
  });
});
