// The engine's tick gives the event loop a turn between actions it verifies: on SQLite every await
// settles at once, so a tick over thousands of actions held up /healthz and every request for as long.

import { deployment } from '../kube/objects';
import { anomaly, setUp, type Setup } from './setup';

let s: Setup | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

it('lets other work run between the actions one tick verifies', async () => {
  const order: string[] = [];
  s = await setUp({
    policies: [{ name: 'restart-on-critical', action: { type: 'restart' }, gate: 'auto' }],
    limits: { verification: { settleSeconds: 60, windowSeconds: 600, recoveredBelowScore: 0.5 } },
    readSignal: async () => {
      order.push('verify');
      return 0.9;
    },
  });
  // Two deployments: a second restart of the same one would wait out its cooldown.
  s.kube.add(deployment({ namespace: 'shop', name: 'pay', replicas: 2 }));
  await s.engine.onAnomaly(anomaly());
  await s.engine.onAnomaly(
    anomaly({
      object: { kind: 'deployment', namespace: 'shop', name: 'pay' },
      labels: { namespace: 'shop', deployment: 'pay' },
    })
  );
  await s.engine.idle();
  await s.clock.sleep(90_000);
  await s.engine.idle();
  order.length = 0;
  // Queued as the tick starts, as a request's callback would be.
  setImmediate(() => order.push('other work'));
  await s.engine.tick();
  expect(order).toEqual(['verify', 'other work', 'verify']);
});
