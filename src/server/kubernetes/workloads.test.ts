import { deployment, statefulSet, daemonSet, KubeObject } from '../../../test/kube/objects';
import { Harness, startHarness } from '../../../test/kube/harness';
import { restart, scale, RESTARTED_AT } from './workloads';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  h.kube.add(
    deployment({ namespace: 'shop', name: 'cart', replicas: 3 }),
    statefulSet({ namespace: 'shop', name: 'db', replicas: 2 }),
    daemonSet({ namespace: 'shop', name: 'agent' })
  );
});
afterEach(() => h.kube.close());

const cart = { kind: 'deployment', namespace: 'shop', name: 'cart' } as const;
const replicasOf = (kind: string, name: string) => h.kube.get(kind, name, 'shop')?.spec?.replicas;
const kindOf = { deployment: 'Deployment', statefulset: 'StatefulSet', daemonset: 'DaemonSet' } as const;
const restartedAtOf = (kind: string, name: string) =>
  (h.kube.get(kind, name, 'shop')?.spec?.template as { metadata: { annotations?: Record<string, string> } }).metadata
    .annotations?.[RESTARTED_AT];
/** Someone else changes the stored workload (a new resourceVersion), as `kubectl` would between our read and our write. */
const meanwhile = (kind: string, name: string, change: (o: KubeObject) => KubeObject) => () =>
  h.kube.add(change(h.kube.get(kind, name, 'shop')!));

describe('scale', () => {
  it('patches the scale subresource with a merge patch guarded by the resourceVersion it read', async () => {
    const rv = h.kube.get('Deployment', 'cart', 'shop')?.metadata.resourceVersion;
    const result = await scale(h.client, { target: cart, replicas: 5, ceiling: 10 });

    expect(result).toEqual({
      ok: true,
      value: expect.objectContaining({
        from: 3,
        to: 5,
        requested: 5,
        dryRun: false,
        summary: 'deployment shop/cart: replicas 3 → 5',
      }),
    });
    expect(replicasOf('Deployment', 'cart')).toBe(5);
    const [write] = h.kube.writes();
    expect(write).toMatchObject({
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/shop/deployments/cart/scale',
      contentType: 'application/merge-patch+json',
      query: {},
      body: { metadata: { resourceVersion: rv }, spec: { replicas: 5 } },
      authorization: 'Bearer test-token',
    });
  });

  it('adds a delta and clamps to the ceiling and to at least one replica', async () => {
    const up = await scale(h.client, { target: cart, delta: 10, ceiling: 6 });
    expect(up.ok && up.value).toMatchObject({ from: 3, to: 6, requested: 13, clamped: 'ceiling' });
    const down = await scale(h.client, { target: cart, delta: -10, ceiling: 6 });
    expect(down.ok && down.value).toMatchObject({ from: 6, to: 1, clamped: 'floor' });
    expect(replicasOf('Deployment', 'cart')).toBe(1);
  });

  it('the ceiling only holds a scale-out back: a workload at or above it is left as it is, never scaled in', async () => {
    h.kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 25 }));
    const byDelta = await scale(h.client, { target: cart, delta: 1, ceiling: 20 });
    expect(byDelta.ok && byDelta.value).toMatchObject({ from: 25, to: 25, requested: 26, clamped: 'ceiling' });
    const byCount = await scale(h.client, { target: cart, replicas: 30, ceiling: 20 });
    expect(byCount.ok && byCount.value).toMatchObject({ from: 25, to: 25, requested: 30, clamped: 'ceiling' });
    const atCeiling = await scale(h.client, { target: cart, delta: 1, ceiling: 25 });
    expect(atCeiling.ok && atCeiling.value).toMatchObject({ from: 25, to: 25, clamped: 'ceiling' });
    expect(replicasOf('Deployment', 'cart')).toBe(25);
    // A clamp that still raises the count stays: 18 + 5 with a ceiling of 20 → 20.
    h.kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 18 }));
    const raised = await scale(h.client, { target: cart, delta: 5, ceiling: 20 });
    expect(raised.ok && raised.value).toMatchObject({ from: 18, to: 20, requested: 23, clamped: 'ceiling' });
  });

  it('a scale never goes against its direction: a scale-in never scales out, a count below the current one is kept', async () => {
    h.kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 0 }));
    const fromZero = await scale(h.client, { target: cart, delta: -1, ceiling: 20 });
    expect(fromZero.ok && fromZero.value).toMatchObject({ from: 0, to: 0, requested: -1, clamped: 'floor' });
    expect(replicasOf('Deployment', 'cart')).toBe(0);
    // An absolute count scales in as the docs say, to that count: the ceiling plays no part in a scale-in.
    h.kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 25 }));
    const down = await scale(h.client, { target: cart, replicas: 22, ceiling: 20 });
    expect(down.ok && down.value).toMatchObject({ from: 25, to: 22, requested: 22 });
    expect(down.ok && down.value.clamped).toBeUndefined();
    expect(replicasOf('Deployment', 'cart')).toBe(22);
  });

  it('scales only from the count it was planned from: another count is refused, nothing is sent', async () => {
    h.kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 9 }));
    const result = await scale(h.client, { target: cart, replicas: 4, expectReplicas: 3, ceiling: 10 });
    expect(!result.ok && result.error).toMatchObject({
      kind: 'changed',
      message:
        'deployment shop/cart now has 9 replicas, not the 3 this change to 4 was planned from: it was not scaled',
    });
    expect(h.kube.writes()).toEqual([]);
    expect(replicasOf('Deployment', 'cart')).toBe(9);
    const planned = await scale(h.client, { target: cart, replicas: 10, expectReplicas: 9, ceiling: 10 });
    expect(planned.ok && planned.value).toMatchObject({ from: 9, to: 10 });
  });

  it('a change between the read and the write is caught: the retry sees the new count and refuses', async () => {
    h.kube.inject({
      method: 'PATCH',
      path: /\/scale$/,
      times: 1,
      sideEffect: () => h.kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 9 })),
    });
    const result = await scale(h.client, { target: cart, replicas: 4, expectReplicas: 3, ceiling: 10 });
    expect(!result.ok && result.error.kind).toBe('changed');
    expect(replicasOf('Deployment', 'cart')).toBe(9);
  });

  it('dry run sends dryRun=All and changes nothing', async () => {
    const result = await scale(h.client, { target: cart, replicas: 4, ceiling: 10, dryRun: true });
    expect(result.ok && result.value).toMatchObject({
      from: 3,
      to: 4,
      dryRun: true,
      summary: 'would scale deployment shop/cart: replicas 3 → 4',
    });
    expect(h.kube.writes()[0].query).toEqual({ dryRun: 'All', fieldValidation: 'Strict' });
    expect(replicasOf('Deployment', 'cart')).toBe(3);
  });

  it('scales a statefulset through its own scale subresource', async () => {
    const result = await scale(h.client, {
      target: { kind: 'statefulset', namespace: 'shop', name: 'db' },
      delta: 1,
      ceiling: 5,
    });
    expect(result.ok && result.value.to).toBe(3);
    expect(h.kube.writes()[0].path).toBe('/apis/apps/v1/namespaces/shop/statefulsets/db/scale');
    expect(replicasOf('StatefulSet', 'db')).toBe(3);
  });

  it('on 409 re-reads and recomputes the delta from the fresh count', async () => {
    h.kube.inject({ method: 'PATCH', path: /\/scale$/, status: 409, times: 1 });
    const result = await scale(h.client, { target: cart, delta: 1, ceiling: 10 });
    expect(result.ok && result.value.to).toBe(4);
    const verbs = h.kube.requests.map((r) => r.method);
    expect(verbs).toEqual(['GET', 'PATCH', 'GET', 'PATCH']);
  });

  it('a real stale resourceVersion is a conflict too', async () => {
    // Someone scales between our read and our write, every time.
    h.kube.inject({
      method: 'PATCH',
      path: /\/scale$/,
      sideEffect: () => {
        const current = h.kube.get('Deployment', 'cart', 'shop')!;
        h.kube.add({ ...current, spec: { ...current.spec, replicas: 7 } });
      },
    });
    const result = await scale(h.client, { target: cart, delta: 1, ceiling: 20 });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatchObject({ kind: 'conflict', status: 409 });
    expect(!result.ok && result.error.message).toMatch(/kept changing while we scaled it \(3 conflicts in a row\)/);
  });

  it('refuses a request that is neither a count nor a delta', async () => {
    const result = await scale(h.client, { target: cart, ceiling: 10 });
    expect(!result.ok && result.error.kind).toBe('bad-request');
    expect(h.kube.requests).toHaveLength(0);
  });
});

describe('restart', () => {
  it.each([
    ['deployment', 'cart', 'deployments'],
    ['statefulset', 'db', 'statefulsets'],
    ['daemonset', 'agent', 'daemonsets'],
  ] as const)(
    'patches the %s pod template with restartedAt as a strategic merge patch guarded by the resourceVersion it read',
    async (kind, name, plural) => {
      const rv = h.kube.get(kindOf[kind], name, 'shop')?.metadata.resourceVersion;
      const result = await restart(h.client, { target: { kind, namespace: 'shop', name } });
      const at = '2025-06-01T12:00:00.000Z';
      expect(result.ok && result.value).toMatchObject({ action: 'restart', restartedAt: at, dryRun: false });
      expect(h.kube.writes()).toEqual([
        expect.objectContaining({
          method: 'PATCH',
          path: `/apis/apps/v1/namespaces/shop/${plural}/${name}`,
          contentType: 'application/strategic-merge-patch+json',
          body: {
            metadata: { resourceVersion: rv },
            spec: { template: { metadata: { annotations: { [RESTARTED_AT]: at } } } },
          },
        }),
      ]);
      expect(restartedAtOf(kindOf[kind], name)).toBe(at);
    }
  );

  it('says how many pods roll and uses the caller-chosen timestamp', async () => {
    const result = await restart(h.client, { target: cart, restartedAt: '2025-06-01T11:00:00Z' });
    expect(result.ok && result.value.summary).toBe(
      'deployment shop/cart: rolling restart of its 3 pods (restartedAt 2025-06-01T11:00:00Z)'
    );
  });

  it.each([false, true])(
    'refuses a paused Deployment as kubectl does, dry run %s: nothing would roll',
    async (dryRun) => {
      h.kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 3, paused: true }));
      const result = await restart(h.client, { target: cart, dryRun });
      expect(!result.ok && result.error).toMatchObject({
        kind: 'unsafe',
        message:
          'deployment shop/cart is paused: a restart would roll none of its pods; resume its rollout first (kubectl rollout resume), nothing was changed',
      });
      expect(h.kube.writes()).toEqual([]);
    }
  );

  it.each([
    ['statefulset', 'db'],
    ['daemonset', 'agent'],
  ] as const)(
    'refuses a %s whose update strategy is OnDelete, dry run or not: it would restart nothing',
    async (kind, name) => {
      const build = kind === 'statefulset' ? statefulSet : daemonSet;
      h.kube.add(build({ namespace: 'shop', name, replicas: 2, updateStrategy: 'OnDelete' }));
      for (const dryRun of [true, false]) {
        const result = await restart(h.client, { target: { kind, namespace: 'shop', name }, dryRun });
        expect(!result.ok && result.error).toMatchObject({
          kind: 'unsafe',
          request: { verb: 'patch', resource: `${kind}s`, namespace: 'shop', name },
          message: `${kind} shop/${name} has update strategy OnDelete: a restart would restart none of its pods (each is replaced only when deleted); delete its pods instead, nothing was changed`,
        });
      }
      expect(h.kube.writes()).toEqual([]);
      expect(h.kube.requests.map((r) => `${r.method} ${r.path}`)).toEqual(
        Array(2).fill(`GET /apis/apps/v1/namespaces/shop/${kind}s/${name}`)
      );
    }
  );

  it('restarts a StatefulSet or DaemonSet whose update strategy is RollingUpdate, said or defaulted', async () => {
    h.kube.add(statefulSet({ namespace: 'shop', name: 'db', replicas: 2, updateStrategy: 'RollingUpdate' }));
    const db = await restart(h.client, { target: { kind: 'statefulset', namespace: 'shop', name: 'db' } });
    expect(db.ok).toBe(true);
    const agent = await restart(h.client, { target: { kind: 'daemonset', namespace: 'shop', name: 'agent' } });
    expect(agent.ok).toBe(true);
  });

  it.each([false, true])(
    'a pause landing between the read and the patch is caught, dry run %s: the retry refuses, no restartedAt lands',
    async (dryRun) => {
      h.kube.inject({
        method: 'PATCH',
        path: '/apis/apps/v1/namespaces/shop/deployments/cart',
        times: 1,
        sideEffect: meanwhile('Deployment', 'cart', (o) => ({ ...o, spec: { ...o.spec, paused: true } })),
      });
      const result = await restart(h.client, { target: cart, dryRun });
      expect(!result.ok && result.error).toMatchObject({
        kind: 'unsafe',
        message:
          'deployment shop/cart is paused: a restart would roll none of its pods; resume its rollout first (kubectl rollout resume), nothing was changed',
      });
      expect(h.kube.requests.map((r) => [r.method, r.status])).toEqual([
        ['GET', 200],
        ['PATCH', 409],
        ['GET', 200],
      ]);
      expect(h.kube.get('Deployment', 'cart', 'shop')?.spec?.paused).toBe(true);
      expect(restartedAtOf('Deployment', 'cart')).toBeUndefined();
    }
  );

  it('a switch to OnDelete landing between the read and the patch is caught the same way', async () => {
    h.kube.inject({
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/shop/statefulsets/db',
      times: 1,
      sideEffect: meanwhile('StatefulSet', 'db', (o) => ({
        ...o,
        spec: { ...o.spec, updateStrategy: { type: 'OnDelete' } },
      })),
    });
    const result = await restart(h.client, { target: { kind: 'statefulset', namespace: 'shop', name: 'db' } });
    expect(!result.ok && result.error).toMatchObject({ kind: 'unsafe', message: expect.stringMatching(/OnDelete/) });
    expect(restartedAtOf('StatefulSet', 'db')).toBeUndefined();
  });

  it('an unrelated change between the read and the patch is retried from a fresh read, and the restart goes on', async () => {
    const before = h.kube.get('Deployment', 'cart', 'shop')!.metadata.resourceVersion;
    let after: string | undefined;
    h.kube.inject({
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/shop/deployments/cart',
      times: 1,
      sideEffect: () => {
        meanwhile('Deployment', 'cart', (o) => ({
          ...o,
          metadata: { ...o.metadata, labels: { ...o.metadata.labels, team: 'checkout' } },
        }))();
        after = h.kube.get('Deployment', 'cart', 'shop')!.metadata.resourceVersion;
      },
    });
    const result = await restart(h.client, { target: cart, restartedAt: '2025-06-01T11:00:00Z' });
    expect(result.ok && result.value.summary).toBe(
      'deployment shop/cart: rolling restart of its 3 pods (restartedAt 2025-06-01T11:00:00Z)'
    );
    expect(h.kube.requests.map((r) => [r.method, r.status])).toEqual([
      ['GET', 200],
      ['PATCH', 409],
      ['GET', 200],
      ['PATCH', 200],
    ]);
    // Each patch carries the resourceVersion its own read saw: the second the one the label change left.
    expect(h.kube.writes().map((w) => (w.body as KubeObject).metadata.resourceVersion)).toEqual([before, after]);
    expect(after).not.toBe(before);
    const stored = h.kube.get('Deployment', 'cart', 'shop')!;
    expect(stored.metadata.labels).toMatchObject({ team: 'checkout' });
    expect(restartedAtOf('Deployment', 'cart')).toBe('2025-06-01T11:00:00Z');
  });

  it.each([
    ['deployment', 'cart', 'deployments'],
    ['statefulset', 'db', 'statefulsets'],
    ['daemonset', 'agent', 'daemonsets'],
  ] as const)(
    'a %s that changes before every patch fails after CONFLICT_ATTEMPTS conflicts, saying so, with no restartedAt',
    async (kind, name, plural) => {
      h.kube.inject({
        method: 'PATCH',
        path: `/apis/apps/v1/namespaces/shop/${plural}/${name}`,
        sideEffect: meanwhile(kindOf[kind], name, (o) => ({
          ...o,
          metadata: {
            ...o.metadata,
            labels: { ...o.metadata.labels, touched: o.metadata.resourceVersion! },
          },
        })),
      });
      for (const dryRun of [false, true]) {
        const result = await restart(h.client, { target: { kind, namespace: 'shop', name }, dryRun });
        expect(!result.ok && result.error).toMatchObject({
          kind: 'conflict',
          status: 409,
          reason: 'Conflict',
          message: `${kind} shop/${name} kept changing while we restarted it (3 conflicts in a row); try again`,
        });
      }
      expect(h.kube.writes().map((w) => w.status)).toEqual(Array(6).fill(409));
      expect(restartedAtOf(kindOf[kind], name)).toBeUndefined();
    }
  );

  it('dry run sends the same guarded patch and leaves the template untouched', async () => {
    const rv = h.kube.get('Deployment', 'cart', 'shop')?.metadata.resourceVersion;
    await restart(h.client, { target: cart, dryRun: true });
    expect(h.kube.writes()[0].query).toEqual({ dryRun: 'All', fieldValidation: 'Strict' });
    expect(h.kube.writes()[0].body).toMatchObject({ metadata: { resourceVersion: rv } });
    const template = h.kube.get('Deployment', 'cart', 'shop')?.spec?.template as { metadata: { annotations?: object } };
    expect(template.metadata.annotations).toBeUndefined();
  });
});
