import { createNotifier } from '../../src/server/healing';
import { node, pod, podDisruptionBudget } from '../kube/objects';
import { anomaly, realWrites, setUp, Setup } from './setup';

let s: Setup;
afterEach(() => s.close());

const replicas = () => s.kube.get('Deployment', 'cart', 'shop')?.spec?.replicas;
const auditKinds = async (actionId: number) =>
  (await s.engine.audit.list({ actionId, limit: 500, offset: 0, format: 'json' })).items.map((e) => e.kind).reverse();

describe('default policies and the approval gate', () => {
  beforeEach(async () => {
    s = await setUp();
  });

  it('critical proposes a scale-out with its server-side dry run, and nothing changes before an approval', async () => {
    const [id] = await s.engine.onAnomaly(anomaly());
    const action = (await s.engine.actions.get(id))!;
    expect(action.state).toBe('awaiting_approval');
    expect(action.policy).toBe('critical-scale-out');
    expect(action.dryRun).toMatchObject({
      ok: true,
      changes: [{ field: 'deployment shop/cart replicas', from: '3', to: '4' }],
    });
    // Pinned by the dry run: a replay sets 4, it never adds another one.
    expect(action.action).toEqual({
      type: 'scale',
      target: { kind: 'deployment', namespace: 'shop', name: 'cart' },
      replicas: 4,
      expectReplicas: 3,
      ceiling: 20,
    });
    expect(action.expiresAt).toBe(s.clock.now() + 3600_000);
    expect(s.kube.writes().every((r) => r.dryRun)).toBe(true);
    expect(replicas()).toBe(3);
    expect(await auditKinds(id)).toEqual(['proposed', 'dry_run']);
  });

  it('an approval runs it once and records who approved, the Kubernetes response and the outcome', async () => {
    const [id] = await s.engine.onAnomaly(anomaly());
    const approved = await s.engine.approve(id, 'alice', 'go ahead');
    expect(approved.ok).toBe(true);
    await s.engine.idle();
    const action = (await s.engine.actions.get(id))!;
    expect(action.state).toBe('succeeded');
    expect(action.decisions).toEqual([{ decision: 'approved', user: 'alice', comment: 'go ahead', at: s.clock.now() }]);
    expect(action.result).toMatchObject({ ok: true, summary: 'deployment shop/cart: replicas 3 → 4' });
    expect(replicas()).toBe(4);
    expect(realWrites(s).map((r) => `${r.method} ${r.path}`)).toEqual([
      'PATCH /apis/apps/v1/namespaces/shop/deployments/cart/scale',
    ]);
    expect(await auditKinds(id)).toEqual(['proposed', 'dry_run', 'approved', 'executing', 'kubernetes', 'succeeded']);
    const approval = (
      await s.engine.audit.list({ actionId: id, kind: ['approved'], limit: 5, offset: 0, format: 'json' })
    ).items[0];
    expect(approval).toMatchObject({ user: 'alice', comment: 'go ahead' });
    const second = await s.engine.approve(id, 'bob');
    expect(second).toMatchObject({
      ok: false,
      kind: 'conflict',
      message: expect.stringContaining('approved by alice'),
    });
  });

  it('a rejection ends it; nothing runs', async () => {
    const [id] = await s.engine.onAnomaly(anomaly());
    expect((await s.engine.reject(id, 'bob', 'not now')).ok).toBe(true);
    await s.engine.tick();
    await s.engine.idle();
    expect((await s.engine.actions.get(id))!.state).toBe('rejected');
    expect(realWrites(s)).toHaveLength(0);
  });

  it('a proposal nobody answers expires, and cannot be approved afterwards', async () => {
    const [id] = await s.engine.onAnomaly(anomaly());
    await s.clock.sleep(3600_000);
    expect(await s.engine.approve(id, 'late')).toMatchObject({ ok: false, kind: 'expired' });
    expect((await s.engine.actions.get(id))!.state).toBe('expired');
    expect(realWrites(s)).toHaveLength(0);
  });

  it("the engine's loop runs on the injected clock: it expires the proposal when the clock moves, and stop ends its timer", async () => {
    const [id] = await s.engine.onAnomaly(anomaly());
    s.engine.start(60_000);
    await s.engine.idle();
    expect((await s.engine.actions.get(id))!.state).toBe('awaiting_approval');
    // No one asks: only the loop's own tick, fired by the clock, can expire it.
    s.clock.advance(3600_000 + 60_000);
    await s.engine.idle();
    expect((await s.engine.actions.get(id))!.state).toBe('expired');
    await s.engine.stop();
    // The dry run's request timeouts fired as the hour passed; the loop's timer is gone with stop.
    expect(s.clock.pending()).toBe(0);
  });

  it('the same anomaly never proposes the same action twice', async () => {
    const trigger = anomaly();
    const first = await s.engine.onAnomaly(trigger);
    const again = await s.engine.onAnomaly({ ...trigger, score: 0.99 });
    expect(first).toHaveLength(1);
    expect(again).toEqual([]);
    expect((await s.engine.actions.list({ limit: 50, offset: 0 })).total).toBe(1);
  });

  it('high proposes a rolling restart; a trigger without a workload is skipped, saying why', async () => {
    const [id] = await s.engine.onAnomaly(anomaly({ severity: 'high' }));
    expect((await s.engine.actions.get(id))!.dryRun!.changes[0].field).toBe(
      'deployment shop/cart pod template restartedAt'
    );
    const none = await s.engine.onAnomaly(anomaly({ severity: 'critical', object: { kind: 'node', name: 'n1' } }));
    expect(none).toEqual([]);
    const skipped = (await s.engine.audit.list({ kind: ['policy_skipped'], limit: 5, offset: 0, format: 'json' }))
      .items[0];
    expect(skipped.message).toMatch(/scale, which needs a deployment or statefulset; the trigger maps to node n1/);
  });
});

describe('gates', () => {
  it('dry-run records what would happen and never runs', async () => {
    s = await setUp({ policies: [{ name: 'p', match: {}, action: { type: 'scale', delta: 2 }, gate: 'dry-run' }] });
    const [id] = await s.engine.onAnomaly(anomaly());
    await s.engine.tick();
    await s.engine.idle();
    expect(await s.engine.actions.get(id)).toMatchObject({
      state: 'dry_run',
      dryRun: { ok: true, changes: [{ from: '3', to: '5' }] },
    });
    expect(realWrites(s)).toHaveLength(0);
  });

  it('auto runs at once', async () => {
    s = await setUp({ policies: [{ name: 'p', action: { type: 'scale', replicas: 6 }, gate: 'auto' }] });
    const [id] = await s.engine.onAnomaly(anomaly());
    await s.engine.idle();
    expect(await s.engine.actions.get(id)).toMatchObject({
      state: 'succeeded',
      decisions: [{ user: '(policy p, gate auto)' }],
    });
    expect(replicas()).toBe(6);
  });

  it('a dry run Kubernetes refuses blocks the proposal with the operator-worded reason', async () => {
    s = await setUp();
    s.kube.inject({ method: 'PATCH', path: /\/scale$/, status: 403 });
    const [id] = await s.engine.onAnomaly(anomaly());
    const action = (await s.engine.actions.get(id))!;
    expect(action.state).toBe('blocked');
    expect(action.reason).toMatchObject({ kind: 'kubernetes', errorKind: 'forbidden', status: 403 });
    expect(action.reason!.message).toMatch(/cannot patch deployments\/scale .*in namespace shop/);
  });
});

describe('act only on what is still true', () => {
  it('an anomaly that closed between approval and execution cancels the action', async () => {
    s = await setUp();
    const trigger = anomaly();
    const [id] = await s.engine.onAnomaly(trigger);
    await s.engine.onAnomalyClosed(trigger.id);
    await s.engine.approve(id, 'alice');
    await s.engine.idle();
    expect(await s.engine.actions.get(id)).toMatchObject({ state: 'cancelled', reason: { kind: 'trigger-resolved' } });
    expect(realWrites(s)).toHaveLength(0);
  });

  it('a score that already fell below the recovery threshold cancels it too', async () => {
    let score = 0.95;
    s = await setUp({ readSignal: async () => score });
    const [id] = await s.engine.onAnomaly(anomaly());
    score = 0.2;
    await s.engine.approve(id, 'alice');
    await s.engine.idle();
    expect((await s.engine.actions.get(id))!.reason!.message).toMatch(/now 0.20, below 0.5/);
    expect(realWrites(s)).toHaveLength(0);
  });
});

describe('verification', () => {
  it('recovered within the window: verified, and the pipeline hears it as feedback', async () => {
    const feedback: Array<[number, boolean, number]> = [];
    let score = 0.95;
    s = await setUp({
      policies: [{ name: 'p', action: { type: 'restart' }, gate: 'auto' }],
      readSignal: async () => score,
      onVerified: (...args) => void feedback.push(args),
    });
    const trigger = anomaly();
    const [id] = await s.engine.onAnomaly(trigger);
    await s.engine.idle();
    await s.clock.sleep(30_000);
    score = 0.1;
    await s.engine.tick();
    expect((await s.engine.actions.get(id))!.state).toBe('succeeded'); // still settling
    await s.clock.sleep(31_000);
    await s.engine.tick();
    expect(await s.engine.actions.get(id)).toMatchObject({
      state: 'verified',
      verification: { recovered: true, score: 0.1 },
    });
    expect(feedback).toEqual([[trigger.id, true, id]]);
  });

  it('not recovered when the window passes', async () => {
    s = await setUp({
      policies: [{ name: 'p', action: { type: 'restart' }, gate: 'auto' }],
      readSignal: async () => 0.9,
    });
    const [id] = await s.engine.onAnomaly(anomaly());
    await s.engine.idle();
    await s.clock.sleep(900_000);
    await s.engine.tick();
    expect(await s.engine.actions.get(id)).toMatchObject({
      state: 'not_recovered',
      verification: { recovered: false },
    });
  });
});

it('the audit log refuses to be rewritten', async () => {
  s = await setUp();
  await s.engine.onAnomaly(anomaly());
  expect(() => s.store.db.prepare('UPDATE healing_audit SET message = ?').run('nothing happened')).toThrow(
    /append-only/
  );
  expect(() => s.store.db.prepare('DELETE FROM healing_audit').run()).toThrow(/append-only/);
});

describe('failures, expiry and recovery', () => {
  it('Kubernetes failing the real request fails the action in words an operator understands', async () => {
    s = await setUp();
    const [id] = await s.engine.onAnomaly(anomaly());
    // The pre-execution dry run passes; the real PATCH after it gets a 500.
    s.kube.inject({
      method: 'PATCH',
      path: /\/scale$/,
      times: 1,
      sideEffect: () => s.kube.inject({ method: 'PATCH', path: /\/scale$/, status: 500, times: 1 }),
    });
    await s.engine.approve(id, 'alice');
    await s.engine.idle();
    expect(await s.engine.actions.get(id)).toMatchObject({
      state: 'failed',
      reason: {
        kind: 'kubernetes',
        errorKind: 'server-error',
        status: 500,
        message: expect.stringContaining('The Kubernetes API server failed (500) on patch deployments/scale shop/cart'),
      },
    });
  });

  it('a drain a PodDisruptionBudget blocks past its deadline fails, says which pods were left, and gives the node back', async () => {
    s = await setUp({ policies: [{ name: 'drain', action: { type: 'drain', timeoutSeconds: 30 }, gate: 'auto' }] });
    s.kube.add(
      node('n1'),
      pod({ namespace: 'shop', name: 'db-0', nodeName: 'n1', ownerKind: 'StatefulSet', labels: { app: 'db' } }),
      podDisruptionBudget({ namespace: 'shop', name: 'db', matchLabels: { app: 'db' }, minAvailable: 1 })
    );
    const [id] = await s.engine.onAnomaly(anomaly({ object: { kind: 'node', name: 'n1' } }));
    await s.engine.idle();
    const action = (await s.engine.actions.get(id))!;
    expect(action.state).toBe('failed');
    expect(action.reason!.message).toContain(
      'did not finish within 30s; pods left: shop/db-0 (blocked by a PodDisruptionBudget: The disruption budget db needs 1 healthy pods and has 1 currently)'
    );
    expect(action.dryRun!.pods!.blocked).toEqual([
      expect.objectContaining({
        name: 'db-0',
        why: 'blocked by a PodDisruptionBudget: The disruption budget db needs 1 healthy pods and has 1 currently',
      }),
    ]);
    expect(action.result!.details).toMatchObject({ uncordoned: true, left: [{ name: 'db-0' }] });
    expect(s.kube.get('Node', 'n1')!.spec!.unschedulable).toBeFalsy();
    expect(await s.engine.actions.heldNodes()).toEqual([]);
  });

  it('a tick expires proposals nobody answered', async () => {
    s = await setUp({ policies: [{ name: 'p', action: { type: 'restart' }, approvalTimeoutSeconds: 60 }] });
    const [id] = await s.engine.onAnomaly(anomaly());
    await s.clock.sleep(59_000);
    await s.engine.tick();
    expect((await s.engine.actions.get(id))!.state).toBe('awaiting_approval');
    await s.clock.sleep(1_000);
    await s.engine.tick();
    expect((await s.engine.actions.get(id))!.state).toBe('expired');
    expect(
      (await s.engine.audit.list({ actionId: id, kind: ['expired'], limit: 1, offset: 0, format: 'json' })).items[0]
        .message
    ).toMatch(/within 60s/);
  });

  it('after a restart, an action that cannot be told to have run is failed for a person to look at, never re-run', async () => {
    s = await setUp();
    const [id] = await s.engine.onAnomaly(anomaly());
    // As a process that died mid-execution would leave it, with an unpinned delta.
    s.store.db.prepare(`UPDATE healing_actions SET state = 'executing', started_at = 1, action = ? WHERE id = ?`).run(
      JSON.stringify({
        type: 'scale',
        target: { kind: 'deployment', namespace: 'shop', name: 'cart' },
        delta: 1,
        ceiling: 5,
      }),
      id
    );
    await s.engine.tick();
    await s.engine.idle();
    expect(await s.engine.actions.get(id)).toMatchObject({
      state: 'failed',
      reason: { kind: 'reconcile', message: expect.stringContaining('cannot tell whether it was applied') },
    });
    expect(realWrites(s)).toHaveLength(0);
  });

  it('after a restart, a notification interrupted mid-send counts as an attempt and waits for its retry', async () => {
    const sent: string[] = [];
    const notifier = createNotifier({ webhookUrl: 'http://receiver.local/' }, (async (url: string) => {
      sent.push(url);
      return new Response('{}');
    }) as unknown as typeof fetch);
    s = await setUp({ notifier });
    const [id] = await s.engine.onAnomaly(anomaly({ severity: 'medium' }));
    s.store.db.prepare(`UPDATE healing_actions SET state = 'executing', started_at = 1 WHERE id = ?`).run(id);
    await s.engine.tick();
    await s.engine.idle();
    expect(await s.engine.actions.get(id)).toMatchObject({
      state: 'approved',
      reason: { kind: 'notification', message: expect.stringContaining('the backend stopped while sending it') },
    });
    // Not at once: after the back-off (test/healing/notify39Interrupted sends it then).
    expect(sent).toEqual([]);
  });
});

describe('what a stopped process left half-way', () => {
  it('a proposal left before its dry run is gated by the next tick', async () => {
    s = await setUp();
    const [id] = await s.engine.onAnomaly(anomaly());
    s.store.db.prepare(`UPDATE healing_actions SET state = 'proposed', dry_run = NULL WHERE id = ?`).run(id);
    await s.engine.tick();
    await s.engine.idle();
    expect(await s.engine.actions.get(id)).toMatchObject({ state: 'awaiting_approval', dryRun: { ok: true } });
  });

  it('an interrupted action is not resumed while the kill switch is engaged', async () => {
    s = await setUp();
    const [id] = await s.engine.onAnomaly(anomaly());
    s.store.db.prepare(`UPDATE healing_actions SET state = 'executing', started_at = 1 WHERE id = ?`).run(id);
    await s.engine.settings.setKillSwitch(true, 'admin');
    const before = s.kube.requests.length;
    await s.engine.tick();
    await s.engine.idle();
    expect((await s.engine.actions.get(id))!.state).toBe('executing');
    expect(s.kube.requests.length).toBe(before);
    await s.engine.settings.setKillSwitch(false, 'admin');
    await s.engine.tick();
    await s.engine.idle();
    expect((await s.engine.actions.get(id))!.state).toBe('succeeded');
    expect(realWrites(s)).toHaveLength(1);
    expect(s.kube.get('Deployment', 'cart', 'shop')!.spec!.replicas).toBe(4);
  });
});
