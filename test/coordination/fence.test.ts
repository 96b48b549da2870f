import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { claimFenceMs } from '../../src/server/healing/claimFence';
import { HealingEngine } from '../../src/server/healing';
import { kubeClientFromOptions } from '../../src/server/kubernetes/client';
import { kubernetesOptionsSchema } from '../../src/server/kubernetes/config';
import { openPostgresStore, type PostgresStore } from '../../src/server/store/postgres';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { postgresForTests } from '../harness/postgres';
import { anomaly, policy } from '../healing/setup';
import { FakeClock, type Harness, startHarness, TOKEN } from '../kube/harness';
import { deployment, node, pod } from '../kube/objects';
import type { RecordedRequest } from '../kube/server';

// Two replicas' engines on one PostgreSQL, each on its own store connection (its own name on the
// actions it claims) and one Kubernetes test server. The first leader's scale request is held
// unanswered, and that leader stops: its clock no longer moves and its store is closed, as a
// process that was killed or cut off while its request was on the wire. Who leads is set by the
// test; the second replica's time moves only with its FakeClock.
const postgres = postgresForTests();
const LEASE_MS = 15_000;
const REQUEST_TIMEOUT_MS = 2_000;
const FENCE_MS = claimFenceMs(LEASE_MS, REQUEST_TIMEOUT_MS);
let databases = 0;

/** `leadingSince`: when the replica's unbroken lead began, as an elector says it; undefined: it follows. */
const replicas: Array<{ engine: HealingEngine; store: PostgresStore; leadingSince?: number }> = [];
type Replica = (typeof replicas)[number];
let h: Harness;
let url: string;

beforeEach(async () => {
  h = await startHarness({ requestTimeoutMs: REQUEST_TIMEOUT_MS });
  h.kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 3 }));
  url = await postgres().createDatabase(`fence${++databases}`);
}, 60_000);
afterEach(async () => {
  // What is still held is answered, so every engine's step ends before its store closes.
  h.kube.release();
  for (const r of replicas.splice(0)) {
    await r.engine.stop();
    await r.store.close();
  }
  await h.kube.close();
});

/** A replica named `name` on `clock`; `election` false: one process with no leader election. */
async function replica(
  name: string,
  clock: FakeClock,
  election = true,
  logger: Logger = pino({ level: 'silent' })
): Promise<Replica> {
  const client = kubeClientFromOptions(
    kubernetesOptionsSchema.parse({
      mode: 'endpoint',
      url: h.kube.url,
      token: TOKEN,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    }),
    clock
  );
  const store = await openPostgresStore(url, { secrets: ephemeralSecretBox(), replica: name, now: clock.now });
  const r: { store: PostgresStore; leadingSince?: number } = { store };
  const engine = await HealingEngine.open({
    store,
    kube: client,
    clock,
    logger,
    metrics: new Registry(),
    policies: [
      policy({
        name: 'scale-out',
        match: { severities: ['critical'] },
        action: { type: 'scale', delta: 1 },
        gate: 'approve',
      }),
      policy({ name: 'drain-node', match: { severities: ['high'] }, action: { type: 'drain' }, gate: 'approve' }),
    ],
    ...(election
      ? {
          leads: () => r.leadingSince !== undefined,
          election: { leaseDurationMs: LEASE_MS, leadingSince: () => r.leadingSince },
        }
      : {}),
  });
  const made = Object.assign(r, { engine });
  replicas.push(made);
  return made;
}

const scaleWrite = (r: RecordedRequest) =>
  r.method === 'PATCH' && !r.dryRun && r.path.endsWith('/deployments/cart/scale');
const scalePatches = () => h.kube.requests.filter(scaleWrite);
const replicasOfCart = () => h.kube.get('Deployment', 'cart', 'shop')?.spec?.replicas;

/** Lets the event loop run until `done` holds (answers from PostgreSQL and the test server are real I/O). */
async function until(what: string, done: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (await done()) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`still waiting for ${what}`);
}

/**
 * pod-a leads, claims the approved scale-out and sends its PATCH, which the test server holds
 * unanswered; then pod-a stops (its clock stays, its store is closed). The action's id.
 */
async function leaderStopsMidRequest(a: Replica): Promise<number> {
  a.leadingSince = 0;
  const [id] = await a.engine.onAnomaly(anomaly());
  // Held from before the approval: an approval asks the engine for a tick at once.
  h.kube.inject({
    method: 'PATCH',
    path: '/apis/apps/v1/namespaces/shop/deployments/cart/scale',
    match: scaleWrite,
    hold: true,
    times: 1,
  });
  expect((await a.engine.approve(id, 'alice')).ok).toBe(true);
  void a.engine.tick();
  await until('pod-a’s scale request', () => scalePatches().length === 1);
  a.leadingSince = undefined;
  return id;
}

/** pod-b ticks: the action is still left executing, and pod-a's request is the only one sent. */
async function stillLeft(b: Replica, id: number): Promise<void> {
  await b.engine.tick();
  await b.engine.idle();
  expect((await b.engine.actions.get(id))!.state).toBe('executing');
  expect(scalePatches()).toHaveLength(1);
}

describe('a new leader never runs what the old one may still be running', () => {
  it('recovers an action another replica left executing only after the claim fence, and it runs once', async () => {
    const a = await replica('pod-a', new FakeClock());
    const b = await replica('pod-b', h.clock);
    const id = await leaderStopsMidRequest(a);
    expect((await b.engine.actions.get(id))!).toMatchObject({ state: 'executing', claimedBy: 'pod-a' });
    // pod-a is gone: what it writes next fails, its request is still on the wire.
    await a.store.close();
    replicas.splice(replicas.indexOf(a), 1);

    // pod-b leads: its ticks before the fence leave the action alone...
    b.leadingSince = h.clock.now();
    await b.engine.tick();
    await b.engine.idle();
    h.clock.advance(FENCE_MS - 1);
    await stillLeft(b, id);

    // ...while pod-a's request lands late, as the API server carries out what it received.
    h.kube.release();
    await until('pod-a’s scale applied', () => replicasOfCart() === 4);

    // Past the fence pod-b recovers it: reconciled against the cluster, found done, not sent again.
    h.clock.advance(1);
    await b.engine.tick();
    await b.engine.idle();
    const action = (await b.engine.actions.get(id))!;
    expect(action).toMatchObject({ state: 'succeeded', claimedBy: 'pod-b' });
    expect(action.result?.summary).toMatch(/already done when reconciled/);
    expect(scalePatches()).toHaveLength(1);
    expect(replicasOfCart()).toBe(4);
  }, 60_000);

  it('counts the fence from when the new leader began to lead, not from when the claim was written', async () => {
    const a = await replica('pod-a', new FakeClock());
    const b = await replica('pod-b', h.clock);
    const id = await leaderStopsMidRequest(a);
    // pod-b follows for longer than the fence (pod-a held the lease meanwhile): that does not count.
    await b.engine.tick();
    h.clock.advance(FENCE_MS);
    await b.engine.tick();
    b.leadingSince = h.clock.now();
    await stillLeft(b, id);
    // Nor does leading, losing the lead and leading again: each leadership counts it anew.
    h.clock.advance(FENCE_MS - 1);
    b.leadingSince = undefined;
    await b.engine.tick();
    b.leadingSince = h.clock.now();
    h.clock.advance(1);
    await stillLeft(b, id);

    // pod-a's request never landed (it stays held, as one lost on the way): past the fence pod-b runs it, once.
    h.clock.advance(FENCE_MS);
    await b.engine.tick();
    await b.engine.idle();
    expect((await b.engine.actions.get(id))!).toMatchObject({ state: 'succeeded', claimedBy: 'pod-b' });
    expect(scalePatches()).toHaveLength(2);
    expect(replicasOfCart()).toBe(4);
  }, 60_000);

  it('counts the fence anew when the lead was lost and regained between two ticks', async () => {
    const a = await replica('pod-a', new FakeClock());
    const b = await replica('pod-b', h.clock);
    const id = await leaderStopsMidRequest(a);
    b.leadingSince = h.clock.now();
    await b.engine.tick();
    await b.engine.idle();
    // A tick interval longer than the lease: pod-b lost the lead and regained it, and no tick of
    // its own ran meanwhile (another replica may have led, and acted, in between).
    h.clock.advance(FENCE_MS - 1);
    b.leadingSince = h.clock.now();
    h.clock.advance(1);
    await stillLeft(b, id);

    // A fence into the new lead, it is recovered, once.
    h.clock.advance(FENCE_MS - 1);
    await b.engine.tick();
    await b.engine.idle();
    expect((await b.engine.actions.get(id))!).toMatchObject({ state: 'succeeded', claimedBy: 'pod-b' });
    expect(scalePatches()).toHaveLength(2);
  }, 60_000);

  it('a single process without an election recovers what it finds executing at once', async () => {
    const a = await replica('host/1', new FakeClock());
    const id = await leaderStopsMidRequest(a);
    await a.store.close();
    replicas.splice(replicas.indexOf(a), 1);
    // The restarted process (a new name, no replicas): the one that claimed it is dead.
    const restarted = await replica('host/2', h.clock, false);
    await restarted.engine.tick();
    await restarted.engine.idle();
    expect((await restarted.engine.actions.get(id))!).toMatchObject({ state: 'succeeded', claimedBy: 'host/2' });
    expect(scalePatches()).toHaveLength(2);
  }, 60_000);
});

describe('a drain its leader paused, with every request of its own ended, is resumed by the next leader at once', () => {
  const evictions = () =>
    h.kube
      .realWrites()
      .filter((r) => r.path.endsWith('/eviction'))
      .map((r) => r.path.split('/')[6]);

  /**
   * pod-a leads and drains n1 (web-1..3); `meanwhile` runs while pod-a waits for web-1 to
   * terminate, after its eviction was answered. Resolves with the action's id once pod-a's step ended.
   */
  async function drainInterrupted(a: Replica, clock: FakeClock, meanwhile: () => void): Promise<number> {
    h.kube.add(
      // Two more Ready nodes: the engine never takes out a node below 51% Ready (the default floor).
      node('n1'),
      node('n2'),
      node('n3'),
      ...[1, 2, 3].map((i) => pod({ namespace: 'shop', name: `web-${i}`, nodeName: 'n1', ownerKind: 'ReplicaSet' }))
    );
    a.leadingSince = 0;
    const [id] = await a.engine.onAnomaly(anomaly({ severity: 'high', object: { kind: 'node', name: 'n1' } }));
    h.kube.setPodTerminationReads(3);
    clock.onSleep = () => {
      clock.onSleep = undefined;
      meanwhile();
    };
    expect((await a.engine.approve(id, 'alice')).ok).toBe(true);
    await a.engine.tick();
    await a.engine.idle();
    h.kube.setPodTerminationReads(0);
    return id;
  }

  /** pod-b leads from now and ticks once, its clock unmoved: no fence awaited. */
  async function nextLeaderResumes(b: Replica, id: number): Promise<void> {
    b.leadingSince = h.clock.now();
    await b.engine.tick();
    await b.engine.idle();
    expect((await b.engine.actions.get(id))!).toMatchObject({ state: 'succeeded', claimedBy: 'pod-b' });
    expect(evictions()).toEqual(['web-1', 'web-2', 'web-3']);
  }

  it('when the leader stops cleanly (SIGTERM), it pauses before the next eviction and clears its claim', async () => {
    const clock = new FakeClock();
    const a = await replica('pod-a', clock);
    const b = await replica('pod-b', h.clock);
    let stopped: Promise<void> | undefined;
    const id = await drainInterrupted(a, clock, () => {
      stopped = a.engine.stop();
    });
    await stopped;
    const left = (await b.engine.actions.get(id))!;
    expect(left.state).toBe('executing');
    expect(left.claimedBy).toBeUndefined();
    expect(left.progress).toMatchObject({ evicted: [expect.objectContaining({ name: 'web-1' })] });
    expect(evictions()).toEqual(['web-1']);
    await nextLeaderResumes(b, id);
  }, 60_000);

  it('when the stopping leader cannot clear its claim, it says so, and the next leader resumes after the claim fence', async () => {
    const clock = new FakeClock();
    const logged: string[] = [];
    const log = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(
          ...chunk
            .toString()
            .split('\n')
            .filter(Boolean)
            .map((l) => String(JSON.parse(l).msg))
        );
        done();
      },
    });
    const a = await replica('pod-a', clock, true, pino({ level: 'warn' }, log));
    const b = await replica('pod-b', h.clock);
    jest.spyOn(a.store.healing.actions, 'releaseClaim').mockRejectedValue(new Error('Connection terminated'));
    let stopped: Promise<void> | undefined;
    const id = await drainInterrupted(a, clock, () => {
      stopped = a.engine.stop();
    });
    await stopped;
    expect(logged).toContain(
      `could not release this replica's claim on action ${id} (left executing): the next leader resumes it once it has waited the claim fence (${FENCE_MS / 1000} s)`
    );
    expect(logged).not.toContain('healing action failed unexpectedly');
    expect(await b.engine.actions.get(id)).toMatchObject({ state: 'executing', claimedBy: 'pod-a' });
    // The claim stays, the safe side: as a crashed leader's, it is resumed once the fence has passed.
    b.leadingSince = h.clock.now();
    await b.engine.tick();
    await b.engine.idle();
    expect((await b.engine.actions.get(id))!.state).toBe('executing');
    expect(evictions()).toEqual(['web-1']);
    h.clock.advance(FENCE_MS);
    await b.engine.tick();
    await b.engine.idle();
    expect((await b.engine.actions.get(id))!).toMatchObject({ state: 'succeeded', claimedBy: 'pod-b' });
    expect(evictions()).toEqual(['web-1', 'web-2', 'web-3']);
  }, 60_000);

  it('when the leader passed its renew deadline, it pauses before the next eviction and clears its claim', async () => {
    const clock = new FakeClock();
    const a = await replica('pod-a', clock);
    const b = await replica('pod-b', h.clock);
    const id = await drainInterrupted(a, clock, () => {
      a.leadingSince = undefined;
    });
    const left = (await b.engine.actions.get(id))!;
    expect(left.state).toBe('executing');
    expect(left.claimedBy).toBeUndefined();
    expect(evictions()).toEqual(['web-1']);
    await nextLeaderResumes(b, id);
  }, 60_000);
});
