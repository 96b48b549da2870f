// The kill switch engaged by another replica after the claim read it (a store round trip before the
// claim's write): the claimed action still makes no change to the cluster.

import { node } from '../kube/objects';
import { anomaly, realWrites, setUp, Setup } from './setup';

let s: Setup;
afterEach(() => s.close());

/** The switch is engaged, as another replica would, right after the engine's `nth` read of it. */
function engageAfterRead(nth: number) {
  const { settings } = s.engine;
  const read = settings.killSwitchRefusal.bind(settings);
  let reads = 0;
  jest.spyOn(settings, 'killSwitchRefusal').mockImplementation(async () => {
    const answer = await read();
    if (++reads === nth) {
      await settings.setKillSwitch(true, 'bob on another replica');
    }
    return answer;
  });
}

it('a scale claimed before the switch was engaged is blocked, not run', async () => {
  s = await setUp({ policies: [{ name: 'p', action: { type: 'scale', delta: 1 }, gate: 'auto' }] });
  // Read 1: the executor's first check; read 2: the claim's.
  engageAfterRead(2);
  const [id] = await s.engine.onAnomaly(anomaly());
  await s.engine.idle();
  expect(await s.engine.actions.get(id)).toMatchObject({ state: 'blocked', reason: { kind: 'kill-switch' } });
  expect(realWrites(s)).toEqual([]);
  expect(s.kube.get('Deployment', 'cart', 'shop')?.spec?.replicas).toBe(3);
});

it('a drain claimed before the switch was engaged cordons nothing and gives its node back', async () => {
  s = await setUp({ policies: [{ name: 'p', action: { type: 'drain' }, gate: 'auto' }] });
  s.kube.add(node('n1'));
  engageAfterRead(2);
  const [id] = await s.engine.onAnomaly(anomaly({ object: { kind: 'node', name: 'n1' } }));
  await s.engine.idle();
  expect(await s.engine.actions.get(id)).toMatchObject({ state: 'blocked', reason: { kind: 'kill-switch' } });
  expect(realWrites(s)).toEqual([]);
  expect(await s.engine.actions.heldNodes()).toEqual([]);
});
