// A drain of a node whose cordon did its work takes the cordon's hold over, with the store refusing
// any takeover the claim does not name: the claim names the cordon, so the drain runs and the node is
// held once, by the drain. Both stores; the Kubernetes API test server, the FakeClock.

import { safetyLimitsSchema, type PolicyInput } from '../../src/contract/healing';
import { drainPolicy, drainSuite, endRun, MINUTE_TO_SIX, nodeWithPods, type DrainRun } from './drainSetup';
import { engineOn } from './engineOn';
import { anomaly, policy } from './setup';

const suite = drainSuite(MINUTE_TO_SIX, 'keys36ladder');

const cordonFirst: PolicyInput = {
  name: 'cordon-first',
  match: { severities: ['low'] },
  action: { type: 'cordon' },
  gate: 'auto',
};
const limits = safetyLimitsSchema.parse({ cooldownSeconds: 0 });

let r: DrainRun | undefined;
afterEach(async () => {
  await endRun(r);
  r = undefined;
});

describe.each(suite.kinds)('a drain after the cordon of its node, on %s', (kind) => {
  it("takes the cordon's hold over and runs", async () => {
    const h = await suite.cluster(...nodeWithPods('n1', 2));
    const stored = await suite.stores(kind);
    const engine = await engineOn(h, stored[0], { policies: [policy(cordonFirst), policy(drainPolicy)], limits });
    r = { h, engine, stored };

    const [cordon] = await engine.onAnomaly(anomaly({ severity: 'low', object: { kind: 'node', name: 'n1' } }));
    await engine.idle();
    expect((await engine.actions.get(cordon))!.state).toBe('succeeded');
    expect(await engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: cordon }]);

    const [drain] = await engine.onAnomaly(anomaly({ severity: 'high', object: { kind: 'node', name: 'n1' } }));
    await engine.idle();

    expect((await engine.actions.get(drain))!.state).toBe('succeeded');
    expect(await engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: drain }]);
  });
});
