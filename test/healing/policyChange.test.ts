// An Admin changing a policy to stop it acting stops what it already proposed: awaiting approval,
// approved by a person or by its gate and waiting, or about to be gated.

import type { PolicyInput } from '../../src/contract/healing';
import { policyChange } from '../../src/server/healing/policyChange';
import { node } from '../kube/objects';
import { anomaly, drainInTurn, policy, realWrites, setUp, Setup } from './setup';

let s: Setup;
afterEach(() => s.close());

const scaleOut: PolicyInput = {
  name: 'scale',
  match: { severities: ['critical'] },
  action: { type: 'scale', delta: 1 },
};
const replicas = () => s.kube.get('Deployment', 'cart', 'shop')?.spec?.replicas;
const savePolicies = (policies: PolicyInput[]) => s.engine.settings.setPolicies(policies.map(policy), 'admin');

describe('a proposal awaiting approval', () => {
  it.each([
    ['its gate made dry-run', [{ ...scaleOut, gate: 'dry-run' }], 'policy scale now only dry-runs'],
    ['disabled', [{ ...scaleOut, enabled: false }], 'policy scale was disabled'],
    ['deleted', [], 'policy scale no longer exists'],
    [
      'narrowed past its trigger',
      [{ ...scaleOut, match: { severities: ['high'] } }],
      'no longer applies to the anomaly',
    ],
    ['given another action', [{ ...scaleOut, action: { type: 'restart' } }], 'now takes the action restart'],
  ] as Array<[string, PolicyInput[], string]>)(
    'cannot be approved once its policy is %s: it is cancelled, saying why, and nothing runs',
    async (_, policies, why) => {
      s = await setUp({ policies: [scaleOut] });
      const [id] = await s.engine.onAnomaly(anomaly());
      expect((await s.engine.actions.get(id))!.state).toBe('awaiting_approval');
      await savePolicies(policies);
      const approved = await s.engine.approve(id, 'bob');
      expect(approved).toMatchObject({ ok: false, kind: 'conflict' });
      expect(!approved.ok && approved.message).toContain(why);
      await s.engine.idle();
      const action = (await s.engine.actions.get(id))!;
      expect(action).toMatchObject({ state: 'cancelled', reason: { kind: 'policy-changed' } });
      expect(action.reason!.message).toContain(why);
      expect(action.reason!.message).toMatch(/: scale deployment shop\/cart to 4 \(ceiling 20\) will not run$/);
      expect(realWrites(s)).toHaveLength(0);
      expect(replicas()).toBe(3);
    }
  );

  it('is withdrawn by the next tick after the change, without anyone approving it; a rejection still records', async () => {
    const restart: PolicyInput = { ...scaleOut, name: 'restart', action: { type: 'restart' } };
    s = await setUp({ policies: [scaleOut, restart] });
    const [scale, kept] = await s.engine.onAnomaly(anomaly());
    await s.engine.tick();
    expect((await s.engine.actions.get(scale))!.state).toBe('awaiting_approval');
    await savePolicies([restart]);
    await s.engine.tick();
    await s.engine.idle();
    expect(await s.engine.actions.get(scale)).toMatchObject({ state: 'cancelled', reason: { kind: 'policy-changed' } });
    // The policy that still stands keeps its proposal, and a person may still reject it.
    expect((await s.engine.actions.get(kept))!.state).toBe('awaiting_approval');
    expect(await s.engine.reject(kept, 'bob')).toMatchObject({ ok: true, action: { state: 'rejected' } });
    const kinds = (await s.engine.audit.list({ actionId: scale, limit: 50, offset: 0, format: 'json' })).items.map(
      (e) => e.kind
    );
    expect(kinds[0]).toBe('cancelled');
  });

  it('stays when the change leaves it standing (another policy edited, its timeout changed)', async () => {
    s = await setUp({ policies: [scaleOut] });
    const [id] = await s.engine.onAnomaly(anomaly());
    await savePolicies([
      { ...scaleOut, approvalTimeoutSeconds: 60 },
      { name: 'other', action: { type: 'notify' } },
    ]);
    await s.engine.tick();
    expect(await s.engine.approve(id, 'bob')).toMatchObject({ ok: true });
    await s.engine.idle();
    expect((await s.engine.actions.get(id))!.state).toBe('succeeded');
    expect(replicas()).toBe(4);
  });
});

it('a proposal a stopped process left before its gate is withdrawn by the next tick, not auto-approved', async () => {
  s = await setUp({ policies: [scaleOut] });
  const [id] = await s.engine.onAnomaly(anomaly());
  // Proposed under gate auto; the Admin made the gate approve before the next tick gated it.
  s.store.db
    .prepare(
      `UPDATE healing_actions SET state = 'proposed', gate = 'auto', dry_run = NULL, expires_at = NULL WHERE id = ?`
    )
    .run(id);
  await s.engine.tick();
  await s.engine.idle();
  expect((await s.engine.actions.get(id))!.reason!.message).toMatch(
    /^policy scale no longer approves automatically \(its gate is now approve\)/
  );
  expect(realWrites(s)).toHaveLength(0);
  expect(replicas()).toBe(3);
});

describe('an approved action waiting to run', () => {
  const drain: PolicyInput = { name: 'drain', action: { type: 'drain' }, gate: 'approve' };
  const limits = {
    cooldownSeconds: 0,
    maxActionsPerHour: 1000,
    maxActionsPerHourPerNamespace: 1000,
    nodeDisruption: { maxPercent: 40, minReadyPercent: 51 },
  };

  /** Two drains approved in turn; the second waits for the node floor (a NotReady node): its id. */
  async function waitingDrain(gate: 'approve' | 'auto'): Promise<number> {
    s = await setUp({ policies: [{ ...drain, gate }], limits });
    s.kube.add(node('n1'), node('n2'), node('sick', false, false));
    const ids = gate === 'approve' ? await drainInTurn(s, 'n1', 'n2') : [];
    if (gate === 'auto') {
      for (const name of ['n1', 'n2']) {
        ids.push(...(await s.engine.onAnomaly(anomaly({ object: { kind: 'node', name } }))));
        await s.engine.idle();
      }
    }
    expect((await s.engine.actions.get(ids[0]))!.state).toBe('succeeded');
    expect(await s.engine.actions.get(ids[1])).toMatchObject({ state: 'approved', reason: { kind: 'node-budget' } });
    return ids[1];
  }

  it('approved by a person: does not run once its policy is deleted, though the floor holds again', async () => {
    const id = await waitingDrain('approve');
    await savePolicies([]);
    s.kube.add(node('sick'));
    await s.engine.tick();
    await s.engine.idle();
    expect(await s.engine.actions.get(id)).toMatchObject({
      state: 'cancelled',
      reason: { kind: 'policy-changed', message: 'policy drain no longer exists: drain node n2 will not run' },
    });
    expect(s.kube.get('Node', 'n2')!.spec!.unschedulable).toBeUndefined();
  });

  it('approved by its gate: does not run once the gate asks a person', async () => {
    const id = await waitingDrain('auto');
    await savePolicies([drain]);
    s.kube.add(node('sick'));
    await s.engine.tick();
    await s.engine.idle();
    expect((await s.engine.actions.get(id))!.reason!.message).toBe(
      'policy drain no longer approves automatically (its gate is now approve): drain node n2 will not run'
    );
    expect(s.kube.get('Node', 'n2')!.spec!.unschedulable).toBeUndefined();
  });
});

describe('policyChange', () => {
  it("refuses a scale pinned against its policy's direction (an earlier build pinned 25 -> 20 for a +1 policy)", async () => {
    s = await setUp({ policies: [scaleOut] });
    const limits = (await s.engine.settings.limits()).limits;
    const trigger = anomaly();
    const [id] = await s.engine.onAnomaly(trigger);
    const base = (await s.engine.actions.get(id))!;
    const pinned = (replicas: number, expectReplicas: number) => ({
      ...base,
      action: { ...(base.action as Extract<typeof base.action, { type: 'scale' }>), replicas, expectReplicas },
    });
    expect(policyChange(pinned(20, 25), trigger, [policy(scaleOut)], limits)?.message).toBe(
      'policy scale scales out; this action would scale in: scale deployment shop/cart to 20 (ceiling 20) will not run'
    );
    expect(policyChange(pinned(4, 3), trigger, [policy(scaleOut)], limits)).toBeUndefined();
    const scaleIn = policy({ ...scaleOut, action: { type: 'scale', delta: -1 } });
    expect(policyChange(pinned(4, 3), trigger, [scaleIn], limits)?.message).toMatch(
      /^policy scale scales in; this action would scale out/
    );
    // An absolute count goes either way.
    const absolute = policy({ ...scaleOut, action: { type: 'scale', replicas: 20 } });
    expect(policyChange(pinned(20, 25), trigger, [absolute], limits)).toBeUndefined();
  });

  it('reads the step of a ladder an action is on, and the gate of that step', async () => {
    s = await setUp();
    const ladder = policy({
      name: 'ladder',
      action: { type: 'restart' },
      gate: 'approve',
      steps: [{ action: { type: 'scale', delta: 1 }, gate: 'auto' }],
    });
    const limits = (await s.engine.settings.limits()).limits;
    const trigger = anomaly();
    const [id] = await s.engine.onAnomaly(trigger);
    const base = (await s.engine.actions.get(id))!;
    const onStep2 = {
      ...base,
      state: 'approved' as const,
      gate: 'auto' as const,
      action: {
        type: 'scale' as const,
        target: { kind: 'deployment' as const, namespace: 'shop', name: 'cart' },
        replicas: 4,
        expectReplicas: 3,
        ceiling: 20,
      },
      decisions: [{ decision: 'approved' as const, user: '(policy ladder, gate auto)', at: 0 }],
      policy: 'ladder',
      ladder: { policy: 'ladder', step: 2, steps: 2, verifySeconds: 300, previous: [] },
    };
    expect(policyChange(onStep2, trigger, [ladder], limits)).toBeUndefined();
    const stepGate = (gate: 'approve' | 'dry-run') => ({ ...ladder, steps: [{ ...ladder.steps![0], gate }] });
    expect(policyChange(onStep2, trigger, [stepGate('approve')], limits)?.message).toMatch(
      /^policy ladder no longer approves automatically \(its gate is now approve\)/
    );
    expect(policyChange(onStep2, trigger, [stepGate('dry-run')], limits)?.message).toMatch(/now only dry-runs/);
    expect(policyChange(onStep2, trigger, [{ ...ladder, steps: undefined }], limits)?.message).toMatch(
      /^policy ladder no longer has step 2 in its ladder/
    );
  });
});
