// An uncordon of a node the engine is draining (audit: "an uncordon gives a node back while its drain
// is still running"). It waits until the drain or cordon holding the node is no longer at work on
// it, and only then gives the node back; meanwhile the node budget stays taken, so a second drain
// waits. Time-free: a held eviction keeps a drain mid-way, the FakeClock moves a window.

import type { ExecutionResult } from '../../src/contract/healing';
import type { EngineContext } from '../../src/server/healing/context';
import { ExecutionRecords } from '../../src/server/healing/executionRecords';
import { node, pod } from '../kube/objects';
import { anomaly, isCordoned, realWrites, setUp, Setup } from './setup';

let s: Setup;
afterEach(async () => {
  // A test that failed mid-way leaves its eviction held: let it go, or closing waits on it.
  s.kube.clearFaults();
  s.kube.release();
  await s.close();
});

const policies = [
  {
    name: 'drain',
    match: { severities: ['high' as const] },
    action: { type: 'drain' as const },
    gate: 'auto' as const,
  },
  {
    name: 'uncordon',
    match: { severities: ['low' as const] },
    action: { type: 'uncordon' as const },
    gate: 'auto' as const,
  },
];
const drainOf = (name: string) => anomaly({ severity: 'high', object: { kind: 'node', name } });
const uncordonOf = (name: string) => anomaly({ severity: 'low', object: { kind: 'node', name } });
const real = (r: { dryRun: boolean }) => !r.dryRun;
const unschedulable = (name: string) => isCordoned(s, name);

/** The step of an action in flight (its execution launched by a tick), to await it while another one is held. */
const stepOf = (id: number): Promise<void> =>
  (s.engine as unknown as { loop: { step(id: number): Promise<void> | undefined } }).loop.step(id) ?? Promise.resolve();

/** Ticks and waits until nothing is in flight, a few times: each tick runs what the one before freed. */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await s.engine.tick();
    await s.engine.idle();
  }
}

/** n1 runs shop/a-1..3, n2 runs shop/b-1; every real eviction records whether its node was schedulable then. */
function twoNodes(): Array<{ pod: string; nodeSchedulable: boolean }> {
  s.kube.add(
    node('n1'),
    node('n2'),
    ...[1, 2, 3].map((i) => pod({ namespace: 'shop', name: `a-${i}`, nodeName: 'n1', ownerKind: 'ReplicaSet' })),
    pod({ namespace: 'shop', name: 'b-1', nodeName: 'n2', ownerKind: 'ReplicaSet' })
  );
  const evictions: Array<{ pod: string; nodeSchedulable: boolean }> = [];
  s.kube.inject({
    method: 'POST',
    path: /\/eviction$/,
    match: (r) => {
      if (real(r)) {
        const name = r.path.split('/')[6];
        evictions.push({ pod: name, nodeSchedulable: !unschedulable(name.startsWith('a-') ? 'n1' : 'n2') });
      }
      return false;
    },
  });
  return evictions;
}

/** Holds the drain of n1 at its second eviction (a-2), a-1 evicted: resolves once that request has arrived. */
function holdSecondEviction(): Promise<void> {
  return new Promise<void>((arrived) =>
    s.kube.inject({
      method: 'POST',
      path: '/api/v1/namespaces/shop/pods/a-2/eviction',
      match: real,
      hold: true,
      times: 1,
      sideEffect: () => arrived(),
    })
  );
}

it('an uncordon of a node mid-drain waits for the drain; a second drain waits for the node; one node drains at a time', async () => {
  s = await setUp({ policies });
  // Held open: the drain of n1 stays executing, a-1 evicted, until released. Injected first, so it wins.
  const midDrain = holdSecondEviction();
  const evictions = twoNodes();
  const [d1] = await s.engine.onAnomaly(drainOf('n1'));
  await midDrain;
  expect((await s.engine.actions.get(d1))!.state).toBe('executing');

  // Meanwhile another trigger asks to uncordon n1: it waits, the node stays cordoned and held.
  const [u] = await s.engine.onAnomaly(uncordonOf('n1'));
  await s.engine.tick();
  await stepOf(u);
  expect(await s.engine.actions.get(u)).toMatchObject({
    state: 'approved',
    reason: {
      kind: 'node-budget',
      message: `waiting: node n1 is being drained by action ${d1} (executing); it is uncordoned once that action has ended`,
    },
  });
  expect(unschedulable('n1')).toBe(true);
  expect(await s.engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: d1 }]);

  // And a drain of n2: the budget of one node is still taken by n1.
  const [d3] = await s.engine.onAnomaly(drainOf('n2'));
  await s.engine.tick();
  await stepOf(d3);
  expect(await s.engine.actions.get(d3)).toMatchObject({ state: 'approved', reason: { kind: 'node-budget' } });
  expect(await s.engine.actions.idsInState('executing')).toEqual([d1]);
  expect(unschedulable('n2')).toBe(false);

  // The drain goes on and ends; then the uncordon gives n1 back, and then n2 drains. The held
  // eviction of a-2 (its own fault, not the recording one) is carried out as it is let go.
  evictions.push({ pod: 'a-2', nodeSchedulable: !unschedulable('n1') });
  s.kube.release();
  await s.engine.idle();
  await settle();
  const [drain1, uncordon, drain2] = await Promise.all([d1, u, d3].map((id) => s.engine.actions.get(id)));
  expect([drain1!.state, uncordon!.state, drain2!.state]).toEqual(['succeeded', 'succeeded', 'succeeded']);
  expect(uncordon!.startedAt!).toBeGreaterThanOrEqual(drain1!.finishedAt!);
  expect(drain2!.startedAt!).toBeGreaterThanOrEqual(uncordon!.finishedAt!);
  // No pod of n1 was evicted while n1 took pods again.
  expect(evictions).toEqual([
    { pod: 'a-1', nodeSchedulable: false },
    { pod: 'a-2', nodeSchedulable: false },
    { pod: 'a-3', nodeSchedulable: false },
    { pod: 'b-1', nodeSchedulable: false },
  ]);
  expect(unschedulable('n1')).toBe(false);
  expect(await s.engine.actions.heldNodes()).toEqual([{ node: 'n2', actionId: d3 }]);
  expect(
    (await s.engine.audit.list({ actionId: u, kind: ['waiting'], limit: 10, offset: 0, format: 'json' })).total
  ).toBe(1);
});

it('an uncordon of a node whose drain is paused (approved with its progress) waits until the drain resumes and ends', async () => {
  s = await setUp({
    policies: [
      {
        ...policies[0],
        autoWindows: { timeZone: 'UTC', windows: [{ days: ['mon', 'tue'], from: '08:00', to: '18:00' }] },
      },
      policies[1],
    ],
  });
  const evictions = twoNodes();
  // Monday 17:59 UTC, inside the drain's window; the first evicted pod takes a poll to go, and meanwhile the window closes.
  s.clock.advance(Date.parse('2025-06-02T17:59:00Z') - s.clock.now());
  s.kube.setPodTerminationReads(1);
  let closed = false;
  s.clock.onSleep = () => {
    if (!closed) {
      closed = true;
      s.clock.advance(2 * 60_000);
    }
  };
  const [d1] = await s.engine.onAnomaly(drainOf('n1'));
  await s.engine.idle();
  expect(await s.engine.actions.get(d1)).toMatchObject({ state: 'approved', progress: { cordonedByDrain: true } });

  const [u] = await s.engine.onAnomaly(uncordonOf('n1'));
  await settle();
  expect(await s.engine.actions.get(u)).toMatchObject({
    state: 'approved',
    reason: {
      kind: 'node-budget',
      message: `waiting: node n1 is being drained by action ${d1} (paused); it is uncordoned once that action has ended`,
    },
  });
  expect(unschedulable('n1')).toBe(true);
  expect(await s.engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: d1 }]);

  // Tuesday 08:00: the drain resumes and ends, then the uncordon runs.
  s.clock.advance(Date.parse('2025-06-03T08:00:00Z') - s.clock.now());
  await settle();
  const [drain, uncordon] = await Promise.all([d1, u].map((id) => s.engine.actions.get(id)));
  expect([drain!.state, uncordon!.state]).toEqual(['succeeded', 'succeeded']);
  expect(uncordon!.startedAt!).toBeGreaterThanOrEqual(drain!.finishedAt!);
  expect(evictions).toEqual(['a-1', 'a-2', 'a-3'].map((p) => ({ pod: p, nodeSchedulable: false })));
  expect(unschedulable('n1')).toBe(false);
  expect(await s.engine.actions.heldNodes()).toEqual([]);
});

it('an uncordon of a node a finished drain holds gives the node back, and the next drain runs', async () => {
  s = await setUp({ policies });
  twoNodes();
  const [d1] = await s.engine.onAnomaly(drainOf('n1'));
  await s.engine.idle();
  expect((await s.engine.actions.get(d1))!.state).toBe('succeeded');
  expect(await s.engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: d1 }]);
  const [d2] = await s.engine.onAnomaly(drainOf('n2'));
  await s.engine.idle();
  expect(await s.engine.actions.get(d2)).toMatchObject({ state: 'approved', reason: { kind: 'node-budget' } });

  const [u] = await s.engine.onAnomaly(uncordonOf('n1'));
  await settle();
  expect((await s.engine.actions.get(u))!.state).toBe('succeeded');
  expect(unschedulable('n1')).toBe(false);
  expect((await s.engine.actions.get(d2))!.state).toBe('succeeded');
  expect(await s.engine.actions.heldNodes()).toEqual([{ node: 'n2', actionId: d2 }]);
  expect(realWrites(s).filter((r) => r.method === 'PATCH' && r.path === '/api/v1/nodes/n1')).toHaveLength(2);
});

it('an uncordon that ends while a drain holds its node executing does not give the hold back', async () => {
  s = await setUp({ policies });
  const midDrain = holdSecondEviction();
  twoNodes();
  const [d1] = await s.engine.onAnomaly(drainOf('n1'));
  await midDrain;
  // An uncordon of n1 recorded executing (as a replica that ran it before the check would leave it), ending now.
  const [u] = await s.engine.onAnomaly(uncordonOf('n1'));
  await s.engine.tick();
  await stepOf(u);
  s.store.db.prepare(`UPDATE healing_actions SET state = 'executing' WHERE id = ?`).run(u);
  const ctx = (s.engine as unknown as { ctx: EngineContext }).ctx;
  const result: ExecutionResult = { ok: true, summary: 'node n1 uncordoned' };
  await new ExecutionRecords(ctx).finish((await s.engine.actions.get(u))!, result);
  expect((await s.engine.actions.get(u))!.state).toBe('succeeded');
  expect(await s.engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: d1 }]);
  s.kube.release();
  await s.engine.idle();
  expect((await s.engine.actions.get(d1))!.state).toBe('succeeded');
});
