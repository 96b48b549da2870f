import { daemonSet, deployment, node, pod } from '../../../test/kube/objects';
import { Harness, startHarness } from '../../../test/kube/harness';
import { executeKubeAction, KubeAction, kubeActionSchema, pinAction } from './actions';
import { reconcile } from './reconcile';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  const exporter = daemonSet({ namespace: 'monitoring', name: 'exporter' });
  h.kube.add(
    deployment({ namespace: 'shop', name: 'cart', replicas: 3 }),
    node('n1'),
    exporter,
    pod({ namespace: 'shop', name: 'cart-1', nodeName: 'n1', ownerKind: 'ReplicaSet' }),
    pod({ namespace: 'monitoring', name: 'exporter-1', nodeName: 'n1', owner: exporter })
  );
});
afterEach(() => h.kube.close());

const cart = { kind: 'deployment', namespace: 'shop', name: 'cart' } as const;
const stateOf = async (action: KubeAction) => {
  const result = await reconcile(h.client, action);
  if (!result.ok) {
    throw new Error(result.error.message);
  }
  return result.value.state;
};

describe('executeKubeAction', () => {
  it('validates and dispatches every action type; the dry run changes nothing', async () => {
    const actions = [
      { type: 'scale', target: cart, delta: 2, ceiling: 10 },
      { type: 'restart', target: cart },
      { type: 'delete-pod', namespace: 'shop', name: 'cart-1' },
      { type: 'cordon', node: 'n1' },
      { type: 'uncordon', node: 'n1' },
      { type: 'drain', node: 'n1' },
    ].map((a) => kubeActionSchema.parse(a));
    for (const action of actions) {
      const outcome = await executeKubeAction(h.client, action, { dryRun: true });
      expect(outcome.ok && outcome.value.action).toBe(action.type);
    }
    expect(h.kube.writes().every((r) => r.dryRun)).toBe(true);
    expect(h.kube.get('Deployment', 'cart', 'shop')?.spec?.replicas).toBe(3);
    expect(h.kube.get('Pod', 'cart-1', 'shop')).toBeDefined();
  });

  it('the schema refuses what no action can do', () => {
    expect(
      kubeActionSchema.safeParse({ type: 'scale', target: { ...cart, kind: 'daemonset' }, replicas: 2, ceiling: 3 })
        .success
    ).toBe(false);
    expect(kubeActionSchema.safeParse({ type: 'drain' }).success).toBe(false);
  });
});

describe('reconcile', () => {
  it('scale: done once the pinned count is there; a bare delta cannot be told', async () => {
    const action = kubeActionSchema.parse({ type: 'scale', target: cart, delta: 2, ceiling: 10 });
    expect(await stateOf(action)).toBe('unknown');
    const dry = await executeKubeAction(h.client, action, { dryRun: true });
    const pinned = pinAction(action, dry.ok ? dry.value : (undefined as never));
    expect(pinned).toEqual({ type: 'scale', target: cart, replicas: 5, expectReplicas: 3, ceiling: 10 });
    expect(await stateOf(pinned)).toBe('not-done');
    await executeKubeAction(h.client, pinned);
    expect(await stateOf(pinned)).toBe('done');
  });

  it('restart: done when the annotation is ours', async () => {
    const action = kubeActionSchema.parse({ type: 'restart', target: cart });
    const dry = await executeKubeAction(h.client, action, { dryRun: true });
    const pinned = pinAction(action, dry.ok ? dry.value : (undefined as never));
    expect(await stateOf(pinned)).toBe('not-done');
    await executeKubeAction(h.client, pinned);
    expect(await stateOf(pinned)).toBe('done');
    expect(await stateOf({ ...pinned, restartedAt: '2030-01-01T00:00:00Z' } as KubeAction)).toBe('not-done');
  });

  it('delete-pod: done when gone or replaced, never "not done" for a replacement', async () => {
    const uid = h.kube.get('Pod', 'cart-1', 'shop')!.metadata.uid;
    const action: KubeAction = { type: 'delete-pod', namespace: 'shop', name: 'cart-1', expectUid: uid };
    expect(await stateOf(action)).toBe('not-done');
    expect(await stateOf({ ...action, expectUid: undefined })).toBe('unknown');
    h.kube.remove('Pod', 'cart-1', 'shop');
    h.kube.add(pod({ namespace: 'shop', name: 'cart-1', nodeName: 'n1', ownerKind: 'StatefulSet' }));
    expect(await stateOf(action)).toBe('done');
    h.kube.remove('Pod', 'cart-1', 'shop');
    expect(await stateOf(action)).toBe('done');
  });

  it('cordon, uncordon and drain read the node and what still runs on it', async () => {
    expect(await stateOf({ type: 'cordon', node: 'n1' })).toBe('not-done');
    expect(await stateOf({ type: 'uncordon', node: 'n1' })).toBe('done');
    await executeKubeAction(h.client, { type: 'cordon', node: 'n1' });
    expect(await stateOf({ type: 'cordon', node: 'n1' })).toBe('done');
    const drainState = await reconcile(h.client, { type: 'drain', node: 'n1' });
    expect(drainState.ok && drainState.value).toEqual({
      state: 'not-done',
      observed: 'node n1 is cordoned and still runs shop/cart-1',
    });
    await executeKubeAction(h.client, { type: 'drain', node: 'n1' });
    // The DaemonSet pod stays, as it would after kubectl drain --ignore-daemonsets.
    expect(await stateOf({ type: 'drain', node: 'n1' })).toBe('done');
  });

  it('reports a read failure as an error, not a guess', async () => {
    h.kube.inject({ method: 'GET', path: '/api/v1/nodes/n1', status: 500 });
    const result = await reconcile(h.client, { type: 'cordon', node: 'n1' });
    expect(!result.ok && result.error.kind).toBe('server-error');
  });
});
