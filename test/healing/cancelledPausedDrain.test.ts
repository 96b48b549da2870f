// A drain paused half-way (its window closed: `approved` again, its progress and its node hold kept)
// that then ends without resuming, cancelled (its policy changed, its trigger closed) or blocked (the
// kill switch), gives its node back: uncordoned when this drain cordoned it, left as it was when
// someone else had; the hold released; both audited. When Kubernetes refuses the uncordon the
// action still ends, the node stays held and the refusal is audited once; each tick tries again.
// Both stores, on the Kubernetes API test server, time moved by the FakeClock only.

import type { Store } from '../../src/server/store/store';
import type { Harness } from '../kube/harness';
import {
  closeWindowMidDrain,
  drainSuite,
  drainUntilSix as drain,
  endRun,
  MINUTE_TO_SIX,
  nodeWithPods,
  type DrainRun,
} from './drainSetup';
import { engineOn, tickDone } from './engineOn';
import { anomaly, isCordoned, kubernetesEntries, nodePatches, policy } from './setup';

const suite = drainSuite(MINUTE_TO_SIX, 'pauseddrain');

let r: DrainRun | undefined;
afterEach(async () => {
  await endRun(r);
  r = undefined;
});

async function start(kind: string): Promise<DrainRun> {
  const h = await suite.cluster();
  const stored = await suite.stores(kind);
  r = { h, engine: await openEngine(h, stored[0]), stored };
  return r;
}

const openEngine = (h: Harness, store: Store) => engineOn(h, store, { policies: [policy(drain)] });

const unschedulable = (name: string) => isCordoned(r!.h, name);
const patchesOf = (name: string) => nodePatches(r!.h, name);
const entriesOf = (actionId: number) => kubernetesEntries(r!.engine, actionId);

const tick = () => tickDone(r!.engine);

/**
 * Drains n1 (three pods) until the window closes after the first eviction: the drain pauses before
 * the second one. `cordonedBefore`: someone else had cordoned n1 before the drain. Returns the
 * drain's id and its anomaly's.
 */
async function pausedDrain(cordonedBefore = false): Promise<{ id: number; anomalyId: number }> {
  const { h, engine } = r!;
  h.kube.add(...nodeWithPods('n1', 3, cordonedBefore));
  closeWindowMidDrain(h);
  const trigger = anomaly({ severity: 'high', object: { kind: 'node', name: 'n1' } });
  const [id] = await engine.onAnomaly(trigger);
  await engine.idle();
  expect(await engine.actions.get(id)).toMatchObject({
    state: 'approved',
    progress: { cordonedByDrain: !cordonedBefore, evicted: [{ namespace: 'shop', name: 'a-1' }] },
  });
  expect(unschedulable('n1')).toBe(true);
  expect(await engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: id }]);
  return { id, anomalyId: trigger.id };
}

const disable = () => r!.engine.settings.setPolicies([policy({ ...drain, enabled: false })], 'admin');

describe.each(suite.kinds)('a paused drain that ends without resuming, on %s', (kind) => {
  it.each([
    ['its policy is disabled', 'cancelled', 'policy-changed', () => disable()],
    [
      'its anomaly closes',
      'cancelled',
      'trigger-resolved',
      (anomalyId: number) => r!.engine.onAnomalyClosed(anomalyId),
    ],
    [
      'the kill switch is engaged',
      'blocked',
      'kill-switch',
      () => r!.engine.settings.setKillSwitch(true, 'bob', 'maintenance'),
    ],
  ] as Array<[string, string, string, (anomalyId: number) => Promise<unknown>]>)(
    'when %s, uncordons the node it cordoned and gives the node back',
    async (_, state, reason, end) => {
      await start(kind);
      const { id, anomalyId } = await pausedDrain();
      const patchesBefore = patchesOf('n1').length;
      await end(anomalyId);
      await tick();

      expect(await r!.engine.actions.get(id)).toMatchObject({ state, reason: { kind: reason } });
      expect(unschedulable('n1')).toBe(false);
      expect(await r!.engine.actions.heldNodes()).toEqual([]);
      // One uncordon, as kubectl sends it (a strategic merge patch of spec.unschedulable).
      const uncordons = patchesOf('n1').slice(patchesBefore);
      expect(uncordons).toHaveLength(1);
      expect(uncordons[0]).toMatchObject({
        contentType: 'application/strategic-merge-patch+json',
        body: { spec: { unschedulable: false } },
        status: 200,
      });
      const [entry] = await entriesOf(id);
      expect(entry.message).toBe(
        `Kubernetes accepted: node n1 uncordoned: it accepts new pods again; drain node n1 cordoned it and was ${state} before it finished; the node budget no longer counts it`
      );
      // Nothing left for a later tick: no second uncordon, no second entry.
      await tick();
      expect(patchesOf('n1').slice(patchesBefore)).toHaveLength(1);
      expect((await entriesOf(id))[0].id).toBe(entry.id);
    }
  );

  it('leaves a node someone else cordoned before the drain as it was, and gives the node back', async () => {
    await start(kind);
    const { id } = await pausedDrain(true);
    await disable();
    await tick();

    expect((await r!.engine.actions.get(id))!.state).toBe('cancelled');
    expect(unschedulable('n1')).toBe(true);
    expect(patchesOf('n1')).toEqual([]);
    expect(await r!.engine.actions.heldNodes()).toEqual([]);
    expect((await entriesOf(id))[0].message).toBe(
      'node n1 is cordoned, as it was before drain node n1 began (it did not cordon it): left as it is; the node budget no longer counts it'
    );
  });

  it('gives back a node someone uncordoned while the drain was paused, without a second uncordon', async () => {
    await start(kind);
    const { id } = await pausedDrain();
    const node1 = r!.h.kube.get('Node', 'n1')!;
    r!.h.kube.add({ ...node1, spec: {} });
    const patchesBefore = patchesOf('n1').length;
    await disable();
    await tick();

    expect((await r!.engine.actions.get(id))!.state).toBe('cancelled');
    expect(patchesOf('n1')).toHaveLength(patchesBefore);
    expect(await r!.engine.actions.heldNodes()).toEqual([]);
    expect((await entriesOf(id))[0].message).toBe(
      'node n1 already schedulable; drain node n1 cordoned it and was cancelled before it finished; the node budget no longer counts it'
    );
  });

  it('ends even when its node is gone (404), and gives the node back', async () => {
    await start(kind);
    const { id } = await pausedDrain();
    r!.h.kube.remove('Node', 'n1');
    await disable();
    await tick();

    expect((await r!.engine.actions.get(id))!.state).toBe('cancelled');
    expect(await r!.engine.actions.heldNodes()).toEqual([]);
    expect((await entriesOf(id))[0].message).toBe(
      'Kubernetes answered with an error: Kubernetes has no nodes n1: the node is gone, nothing stays cordoned; the node budget no longer counts it'
    );
  });

  it('ends when Kubernetes refuses the uncordon: the node stays held, the refusal is audited once, and a later tick uncordons it', async () => {
    await start(kind);
    const { id } = await pausedDrain();
    const { kube } = r!.h;
    kube.inject({ method: 'PATCH', path: '/api/v1/nodes/n1', match: (q) => !q.dryRun, status: 403 });
    const patchesBefore = patchesOf('n1').length;
    const entriesBefore = (await entriesOf(id)).length;
    await disable();
    await tick();

    expect((await r!.engine.actions.get(id))!.state).toBe('cancelled');
    expect(unschedulable('n1')).toBe(true);
    expect(await r!.engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: id }]);
    const [refused, ...before] = await entriesOf(id);
    expect(before).toHaveLength(entriesBefore);
    expect(refused.message).toMatch(
      /^Kubernetes answered with an error: Kubernetes refused: .* cannot patch nodes at cluster scope/
    );
    expect(refused.message).toContain(
      ': node n1 stays cordoned (drain node n1 cordoned it and was cancelled before it finished) and still counts toward the node budget; tried again at each tick, or give it back with `kubectl uncordon n1`'
    );
    expect(refused.details).toMatchObject({ kind: 'forbidden', status: 403 });

    // Refused again at the next tick: tried, not audited again.
    await tick();
    expect(patchesOf('n1').length - patchesBefore).toBe(2);
    expect(await entriesOf(id)).toHaveLength(entriesBefore + 1);

    kube.clearFaults();
    await tick();
    expect(unschedulable('n1')).toBe(false);
    expect(await r!.engine.actions.heldNodes()).toEqual([]);
    expect((await entriesOf(id))[0].message).toMatch(/^Kubernetes accepted: node n1 uncordoned/);
  });

  it('is given back by the next leader when the one that ended it could not: the hold in the store says so', async () => {
    await start(kind);
    const { id } = await pausedDrain();
    const { h, stored } = r!;
    h.kube.inject({ method: 'PATCH', path: '/api/v1/nodes/n1', match: (q) => !q.dryRun, status: 503 });
    await disable();
    await tick();
    expect(await r!.engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: id }]);
    expect((await entriesOf(id))[0].message).toContain(
      ': node n1 stays cordoned (drain node n1 cordoned it and was cancelled before it finished) and still counts toward the node budget'
    );

    // This replica stops; another one, on the same store, leads now and Kubernetes answers again.
    await r!.engine.stop();
    h.kube.clearFaults();
    r!.engine = await openEngine(h, stored[1]);
    await tick();
    expect(unschedulable('n1')).toBe(false);
    expect(await r!.engine.actions.heldNodes()).toEqual([]);
    expect((await entriesOf(id))[0].message).toMatch(/^Kubernetes accepted: node n1 uncordoned/);
  });

  it('survives the store failing as it gives the node back: the loop goes on and the next tick gives it back', async () => {
    await start(kind);
    const { id } = await pausedDrain();
    const release = jest.spyOn(r!.engine.actions, 'releaseHold');
    release.mockRejectedValueOnce(new Error('the store is down')).mockRejectedValueOnce(new Error('still down'));
    await disable();
    // The release as the drain ends, and the next tick's, fail: the node is uncordoned, still held.
    await tick();
    await tick();
    expect((await r!.engine.actions.get(id))!.state).toBe('cancelled');
    expect(unschedulable('n1')).toBe(false);
    expect(await r!.engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: id }]);

    await tick();
    expect(release).toHaveBeenCalledTimes(3);
    expect(await r!.engine.actions.heldNodes()).toEqual([]);
    expect((await entriesOf(id))[0].message).toBe(
      'node n1 already schedulable; drain node n1 cordoned it and was cancelled before it finished; the node budget no longer counts it'
    );
  });
});
