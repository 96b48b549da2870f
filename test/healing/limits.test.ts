import { safetyLimitsSchema } from '../../src/contract/healing';
import { deployment, node, pod } from '../kube/objects';
import { anomaly, realWrites, setUp, Setup, drainInTurn } from './setup';

let s: Setup;
afterEach(() => s.close());

const started = () =>
  Promise.all(
    (
      s.store.db.prepare('SELECT id FROM healing_actions WHERE started_at IS NOT NULL').all() as Array<{ id: number }>
    ).map(async (r) => (await s.engine.actions.get(r.id))!)
  );

describe('rate limits', () => {
  it('a storm of 1,000 anomalies in a minute executes at most the allowed actions', async () => {
    s = await setUp({
      policies: [{ name: 'scale-out', action: { type: 'scale', delta: 1 }, gate: 'auto' }],
      limits: { maxActionsPerHour: 10, maxActionsPerHourPerNamespace: 3 },
    });
    const namespaces = ['a', 'b', 'c', 'd', 'e'];
    for (const ns of namespaces) {
      for (let i = 0; i < 10; i++) {
        s.kube.add(deployment({ namespace: ns, name: `web-${i}`, replicas: 2 }));
      }
    }
    for (let i = 0; i < 1000; i++) {
      const ns = namespaces[i % 5];
      const name = `web-${Math.floor(i / 5) % 10}`;
      await s.engine.onAnomaly(
        anomaly({ labels: { namespace: ns }, object: { kind: 'deployment', namespace: ns, name } })
      );
      // Time moves only between anomalies, once what they started is done: requests time out on
      // this clock, so moving it under a request in flight would be a Kubernetes that never answered.
      await s.engine.idle();
      await s.clock.sleep(60);
    }
    await s.engine.idle();
    const all = await s.engine.actions.list({ limit: 500, offset: 0 });
    expect(all.total).toBe(1000);
    expect(await started()).toHaveLength(10);
    expect(realWrites(s)).toHaveLength(10);
    for (const ns of namespaces) {
      expect((await started()).filter((a) => a.namespace === ns).length).toBeLessThanOrEqual(3);
    }
    expect((await s.engine.actions.list({ state: ['blocked'], limit: 1, offset: 0 })).total).toBe(990);
    const reasons = s.store.db
      .prepare(`SELECT DISTINCT json_extract(reason, '$.kind') AS kind FROM healing_actions WHERE state = 'blocked'`)
      .all();
    const kinds = reasons.map((r) => (r as { kind: string }).kind);
    expect(kinds).toContain('rate-limit');
    expect(kinds.every((k) => ['rate-limit', 'namespace-rate-limit', 'cooldown', 'duplicate'].includes(k))).toBe(true);
  }, 60_000);

  it('the limits hold at execution too: approved actions beyond the hourly limit are blocked, not run', async () => {
    s = await setUp({ limits: { maxActionsPerHour: 2 } });
    for (let i = 0; i < 4; i++) {
      s.kube.add(deployment({ namespace: 'shop', name: `w${i}`, replicas: 1 }));
    }
    const ids = [];
    for (let i = 0; i < 4; i++) {
      ids.push(
        ...(await s.engine.onAnomaly(anomaly({ object: { kind: 'deployment', namespace: 'shop', name: `w${i}` } })))
      );
    }
    for (const id of ids) {
      await s.engine.approve(id, 'alice');
    }
    await s.engine.idle();
    expect((await Promise.all(ids.map(async (id) => (await s.engine.actions.get(id))!.state))).sort()).toEqual([
      'blocked',
      'blocked',
      'succeeded',
      'succeeded',
    ]);
    expect(realWrites(s)).toHaveLength(2);
  });
});

it('the per-namespace limit holds while other namespaces still get their share', async () => {
  s = await setUp({
    policies: [{ name: 'restart', action: { type: 'restart' }, gate: 'auto' }],
    limits: { maxActionsPerHourPerNamespace: 1 },
  });
  s.kube.add(deployment({ namespace: 'shop', name: 'pay' }), deployment({ namespace: 'web', name: 'front' }));
  const run = async (namespace: string, name: string) => {
    const [id] = await s.engine.onAnomaly(anomaly({ object: { kind: 'deployment', namespace, name } }));
    await s.engine.idle();
    return (await s.engine.actions.get(id))!;
  };
  expect((await run('shop', 'cart')).state).toBe('succeeded');
  expect(await run('shop', 'pay')).toMatchObject({ state: 'blocked', reason: { kind: 'namespace-rate-limit' } });
  expect((await run('web', 'front')).state).toBe('succeeded');
});

describe('cooldown', () => {
  it('the same action on the same target waits out its cooldown', async () => {
    s = await setUp({
      policies: [{ name: 'restart', action: { type: 'restart' }, gate: 'auto' }],
      limits: { cooldownSeconds: 900 },
    });
    const [first] = await s.engine.onAnomaly(anomaly());
    await s.engine.idle();
    await s.clock.sleep(600_000);
    const [second] = await s.engine.onAnomaly(anomaly());
    await s.engine.idle();
    expect((await s.engine.actions.get(first))!.state).toBe('succeeded');
    expect(await s.engine.actions.get(second)).toMatchObject({
      state: 'blocked',
      reason: { kind: 'cooldown', message: 'restart ran on deployment shop/cart 10 min ago; the cooldown is 15 min' },
    });
    await s.clock.sleep(301_000);
    const [third] = await s.engine.onAnomaly(anomaly());
    await s.engine.idle();
    expect((await s.engine.actions.get(third))!.state).toBe('succeeded');
  });

  it('a second proposal for a target that already has one pending is a duplicate', async () => {
    s = await setUp();
    const [first] = await s.engine.onAnomaly(anomaly());
    const [second] = await s.engine.onAnomaly(anomaly());
    expect((await s.engine.actions.get(first))!.state).toBe('awaiting_approval');
    expect(await s.engine.actions.get(second)).toMatchObject({
      state: 'blocked',
      reason: { kind: 'duplicate', message: `action ${first} already proposes scale on deployment shop/cart` },
    });
  });
});

describe('blast radius', () => {
  it('kube-system is refused by default, before anything reaches Kubernetes', async () => {
    s = await setUp({ policies: [{ name: 'restart', action: { type: 'restart' }, gate: 'auto' }] });
    s.kube.add(deployment({ namespace: 'kube-system', name: 'coredns', replicas: 2 }));
    const [id] = await s.engine.onAnomaly(
      anomaly({ object: { kind: 'deployment', namespace: 'kube-system', name: 'coredns' } })
    );
    await s.engine.idle();
    expect(await s.engine.actions.get(id)).toMatchObject({
      state: 'blocked',
      reason: { kind: 'namespace-denied', message: expect.stringContaining('kube-system is denied') },
    });
    expect(s.kube.requests).toHaveLength(0);
  });

  it('a deny entry written " Kube-System" (a paste) denies kube-system, and still does once stored', async () => {
    s = await setUp({ limits: { namespaces: { allow: ['*'], deny: [' Kube-System'] } } });
    s.kube.add(deployment({ namespace: 'kube-system', name: 'coredns', replicas: 2 }));
    const coredns = { object: { kind: 'deployment' as const, namespace: 'kube-system', name: 'coredns' } };
    const [first] = await s.engine.onAnomaly(anomaly(coredns));
    expect((await s.engine.actions.get(first))!.reason).toMatchObject({ kind: 'namespace-denied' });
    // Limits an Admin saved before the spelling was normalised read back normalised, not refused.
    await s.engine.settings.setLimits(safetyLimitsSchema.parse({}), 'admin');
    s.store.db
      .prepare(`UPDATE settings SET value = replace(value, '"kube-system"', '" Kube-System"') WHERE key = ?`)
      .run('healing.limits');
    expect((await s.engine.settings.limits()).limits.namespaces.deny).toEqual(['kube-system']);
    expect(realWrites(s)).toEqual([]);
  });

  it('an allow-list keeps the engine out of every other namespace', async () => {
    s = await setUp({ limits: { namespaces: { allow: ['web'], deny: ['kube-system'] } } });
    const [id] = await s.engine.onAnomaly(anomaly());
    expect((await s.engine.actions.get(id))!.reason!.message).toMatch(/shop is not in the allow-list/);
  });

  it('never scales past the ceiling, and says so when already there', async () => {
    s = await setUp({
      policies: [{ name: 'p', action: { type: 'scale', delta: 5, ceiling: 50 }, gate: 'auto' }],
      limits: { replicaCeiling: 6 },
    });
    const [first] = await s.engine.onAnomaly(anomaly());
    await s.engine.idle();
    expect((await s.engine.actions.get(first))!.action).toMatchObject({ replicas: 6, ceiling: 6 });
    expect(s.kube.get('Deployment', 'cart', 'shop')!.spec!.replicas).toBe(6);
    await s.clock.sleep(3600_000);
    const [second] = await s.engine.onAnomaly(anomaly());
    expect(await s.engine.actions.get(second)).toMatchObject({ state: 'blocked', reason: { kind: 'replica-ceiling' } });
  });

  it('a scale-out of a workload already above the ceiling changes nothing: it is never scaled in to the ceiling', async () => {
    s = await setUp({
      policies: [{ name: 'scale-out', action: { type: 'scale', delta: 1 }, gate: 'auto' }],
      limits: { replicaCeiling: 20, workloadDisruption: { minHealthyPercent: 100, maxUnavailablePercent: 1 } },
    });
    s.kube.add(deployment({ namespace: 'shop', name: 'big', replicas: 25 }));
    const [id] = await s.engine.onAnomaly(anomaly({ object: { kind: 'deployment', namespace: 'shop', name: 'big' } }));
    await s.engine.tick();
    await s.engine.idle();
    const action = (await s.engine.actions.get(id))!;
    expect(action).toMatchObject({
      state: 'blocked',
      reason: {
        kind: 'replica-ceiling',
        message:
          'deployment shop/big already has 25 replicas, above the ceiling of 20: scaling out further is not allowed, and the ceiling never scales in',
      },
    });
    expect(action.dryRun!.changes).toEqual([{ field: 'deployment shop/big replicas', from: '25', to: '25' }]);
    expect(s.kube.get('Deployment', 'big', 'shop')!.spec!.replicas).toBe(25);
    expect(realWrites(s)).toEqual([]);
  });

  it('a ceiling lowered after the proposal holds when the approval comes: the pinned count does not pass it', async () => {
    s = await setUp({ policies: [{ name: 'p', action: { type: 'scale', delta: 5 }, gate: 'approve' }] });
    const [id] = await s.engine.onAnomaly(anomaly());
    expect((await s.engine.actions.get(id))!.action).toMatchObject({ replicas: 8, expectReplicas: 3, ceiling: 20 });
    // Mid-incident an Admin caps every workload at 4 replicas (quota, cost); the proposal still says 8.
    await s.engine.settings.setLimits(safetyLimitsSchema.parse({ replicaCeiling: 4 }), 'admin');
    await s.engine.approve(id, 'alice');
    await s.engine.idle();
    expect(await s.engine.actions.get(id)).toMatchObject({
      state: 'blocked',
      reason: {
        kind: 'replica-ceiling',
        message: 'deployment shop/cart would go to 8 replicas; the replica ceiling is now 4',
      },
    });
    expect(s.kube.get('Deployment', 'cart', 'shop')!.spec!.replicas).toBe(3);
    expect(realWrites(s)).toEqual([]);
  });

  it('never scales below 1', async () => {
    s = await setUp({ policies: [{ name: 'p', action: { type: 'scale', delta: -10 }, gate: 'auto' }] });
    await s.engine.onAnomaly(anomaly());
    await s.engine.idle();
    expect(s.kube.get('Deployment', 'cart', 'shop')!.spec!.replicas).toBe(1);
  });

  it('a drain leaves pods in denied namespaces and in namespaces past their hourly limit where they are', async () => {
    s = await setUp({
      policies: [
        { name: 'drain', match: { severities: ['high'] }, action: { type: 'drain' }, gate: 'approve' },
        { name: 'restart', match: { severities: ['critical'] }, action: { type: 'restart' }, gate: 'auto' },
      ],
      limits: { maxActionsPerHourPerNamespace: 1 },
    });
    s.kube.add(
      node('n1'),
      pod({ namespace: 'shop', name: 'cart-1', nodeName: 'n1', ownerKind: 'ReplicaSet' }),
      pod({ namespace: 'web', name: 'front-1', nodeName: 'n1', ownerKind: 'ReplicaSet' }),
      pod({ namespace: 'kube-system', name: 'coredns-1', nodeName: 'n1', ownerKind: 'ReplicaSet' }),
      pod({ namespace: 'kube-system', name: 'kube-proxy-n1', nodeName: 'n1', ownerKind: 'DaemonSet' })
    );
    // shop already had its one action this hour.
    const [restart] = await s.engine.onAnomaly(anomaly());
    await s.engine.idle();
    expect((await s.engine.actions.get(restart))!.state).toBe('succeeded');

    const [id] = await s.engine.onAnomaly(anomaly({ severity: 'high', object: { kind: 'node', name: 'n1' } }));
    const proposed = (await s.engine.actions.get(id))!;
    expect(proposed.dryRun!.pods).toEqual({
      evict: [{ namespace: 'web', name: 'front-1' }],
      // In the order the API server lists the node's pods: by namespace, then name.
      skip: [
        {
          namespace: 'kube-system',
          name: 'coredns-1',
          why: 'namespace kube-system is denied in the safety limits: the engine does not evict there',
        },
        { namespace: 'kube-system', name: 'kube-proxy-n1', why: expect.stringContaining('DaemonSet') },
        {
          namespace: 'shop',
          name: 'cart-1',
          why: '1 actions ran in namespace shop in the last hour; the limit is 1',
        },
      ],
      blocked: [],
    });
    await s.engine.approve(id, 'alice');
    await s.engine.idle();
    expect((await s.engine.actions.get(id))!.state).toBe('succeeded');
    expect(
      realWrites(s)
        .filter((r) => r.path.endsWith('/eviction'))
        .map((r) => r.path)
    ).toEqual(['/api/v1/namespaces/web/pods/front-1/eviction']);
    expect(s.kube.get('Pod', 'coredns-1', 'kube-system')).toBeDefined();
    expect(s.kube.get('Pod', 'cart-1', 'shop')).toBeDefined();
    expect((await s.engine.actions.get(id))!.result!.summary).toBe(
      'node n1 drained: 1 pod(s) evicted, 3 skipped (kube-system/coredns-1: namespace, kube-system/kube-proxy-n1: daemonset, shop/cart-1: namespace)'
    );
  });

  it('one node at a time: a second drain waits until the first node is given back', async () => {
    s = await setUp({ policies: [{ name: 'drain', action: { type: 'drain' }, gate: 'approve' }] });
    s.kube.add(
      node('n1'),
      node('n2'),
      pod({ namespace: 'shop', name: 'cart-1', nodeName: 'n1', ownerKind: 'ReplicaSet' }),
      pod({ namespace: 'shop', name: 'cart-2', nodeName: 'n2', ownerKind: 'ReplicaSet' })
    );
    const [first, second] = await drainInTurn(s, 'n1', 'n2');
    expect((await s.engine.actions.get(first))!.state).toBe('succeeded');
    expect(await s.engine.actions.get(second)).toMatchObject({
      state: 'approved',
      reason: { kind: 'node-budget', message: expect.stringContaining('node n1 (action') },
    });
    expect(s.kube.get('Node', 'n2')!.spec!.unschedulable).toBeUndefined();
    expect(realWrites(s).filter((r) => r.path.includes('n2'))).toHaveLength(0);
    // Still cordoned at the next tick: still waiting, and the wait is not audited again.
    await s.engine.tick();
    await s.engine.idle();
    expect((await s.engine.actions.get(second))!.state).toBe('approved');
    expect(
      (await s.engine.audit.list({ actionId: second, kind: ['waiting'], limit: 10, offset: 0, format: 'json' })).total
    ).toBe(1);
    // Someone uncordons n1 after the maintenance: the budget frees and the second drain runs.
    s.kube.add(node('n1'));
    await s.engine.tick();
    await s.engine.idle();
    expect((await s.engine.actions.get(second))!.state).toBe('succeeded');
    expect(s.kube.get('Pod', 'cart-2', 'shop')).toBeUndefined();
  });
});

describe('kill switch', () => {
  it('stops an approved action that has not started; proposals are still recorded', async () => {
    s = await setUp();
    const engagedAt = s.clock.now();
    await s.engine.settings.setKillSwitch(true, 'admin', 'incident 42');
    await s.clock.sleep(60_000);
    const [id] = await s.engine.onAnomaly(anomaly());
    expect((await s.engine.actions.get(id))!.state).toBe('awaiting_approval');
    await s.engine.approve(id, 'alice');
    await s.engine.idle();
    const blocked = (await s.engine.actions.get(id))!;
    expect(blocked).toMatchObject({
      state: 'blocked',
      // Since when as a time the app writes in the viewer's zone; the text holds none.
      reason: { kind: 'kill-switch', message: expect.stringContaining('by admin'), since: engagedAt },
    });
    expect(blocked.reason!.message).not.toMatch(/\d{4}-\d\d-\d\dT/);
    // The audit is a log: it says since when in UTC.
    const audited = await s.engine.audit.list({ actionId: id, kind: ['blocked'], limit: 5, offset: 0, format: 'json' });
    expect(audited.items.map((e) => e.message)).toEqual([
      expect.stringContaining(`(since ${new Date(engagedAt).toISOString()})`),
    ]);
    expect(realWrites(s)).toHaveLength(0);
  });

  it('engaged while the action is being checked, it still stops it before anything changes', async () => {
    s = await setUp();
    const [id] = await s.engine.onAnomaly(anomaly());
    // The pre-execution dry run is in flight when an admin pulls the switch.
    s.kube.inject({
      method: 'PATCH',
      path: /\/scale$/,
      times: 1,
      // The store's write lands at once, inside the side effect.
      sideEffect: () => void s.engine.settings.setKillSwitch(true, 'admin'),
    });
    await s.engine.approve(id, 'alice');
    await s.engine.idle();
    expect((await s.engine.actions.get(id))!.state).toBe('blocked');
    expect(realWrites(s)).toHaveLength(0);
    expect(s.kube.get('Deployment', 'cart', 'shop')!.spec!.replicas).toBe(3);
  });
});

it('the kill switch stops a running drain before its next eviction', async () => {
  s = await setUp({ policies: [{ name: 'drain', action: { type: 'drain' }, gate: 'approve' }] });
  s.kube.add(
    node('n1'),
    ...[1, 2, 3].map((i) => pod({ namespace: 'shop', name: `cart-${i}`, nodeName: 'n1', ownerKind: 'ReplicaSet' }))
  );
  const [id] = await s.engine.onAnomaly(anomaly({ object: { kind: 'node', name: 'n1' } }));
  const cart1 = '/api/v1/namespaces/shop/pods/cart-1/eviction';
  // The first request is the pre-execution dry run; during the real eviction of cart-1 an admin pulls the switch.
  s.kube.inject({
    method: 'POST',
    path: cart1,
    times: 1,
    sideEffect: () =>
      s.kube.inject({
        method: 'POST',
        path: cart1,
        times: 1,
        sideEffect: () => void s.engine.settings.setKillSwitch(true, 'admin', 'stop everything'),
      }),
  });
  await s.engine.approve(id, 'alice');
  await s.engine.idle();
  const action = (await s.engine.actions.get(id))!;
  expect(action).toMatchObject({
    state: 'failed',
    reason: {
      kind: 'kill-switch',
      message: expect.stringContaining('stopped before evicting shop/cart-2: the kill switch is engaged by admin'),
    },
  });
  expect(
    realWrites(s)
      .filter((r) => r.path.endsWith('/eviction'))
      .map((r) => r.path)
  ).toEqual([cart1]);
  expect(
    s.kube
      .list('Pod')
      .map((p) => p.metadata.name)
      .sort()
  ).toEqual(['cart-2', 'cart-3']);
  expect(s.kube.get('Node', 'n1')!.spec!.unschedulable).toBe(false);
});
