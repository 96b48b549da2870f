// Loop 34, D4: an operator who marks an anomaly "False positive" in Grafana withdraws what healing
// proposed for it and has not started, and healing proposes nothing more for it (no ladder step,
// nothing on its extensions) until an operator marks it confirmed. Two replicas on one store (the
// same SQLite; PostgreSQL through two pools), each wired as main.ts wires it (the pipeline, its
// feedback route, the healing engine and its routes): replica A owns the target and leads (it
// executes), replica B takes the feedback, on the Kubernetes API test server.

import pino from 'pino';
import { Registry } from 'prom-client';
import type { AuditEntry, PolicyInput } from '../../src/contract/healing';
import type { Anomaly } from '../../src/contract/pipeline';
import { configSchema } from '../../src/server/config/schema';
import { buildHealing } from '../../src/server/healing/build';
import type { HealingEngine } from '../../src/server/healing/engine';
import { pipelineHooks } from '../../src/server/healing/fromPipeline';
import { healingRoutes } from '../../src/server/http/routes/healing';
import { pipelineRoutes } from '../../src/server/http/routes/pipeline';
import type { App } from '../../src/server/http/server';
import type { AnomalyEvent } from '../../src/server/pipeline/listener';
import { Pipeline } from '../../src/server/pipeline/pipeline';
import type { Store } from '../../src/server/store/store';
import { anomalyRecord } from '../harness/anomalyRecords';
import { AUTH, injectingApp } from '../harness/server';
import { startHarness, type Harness } from '../kube/harness';
import { deployment, node } from '../kube/objects';
import type { RecordedRequest } from '../kube/server';
import { closeStores, replicaStores } from './replicaStores';

const T = Date.parse('2025-06-01T12:00:00Z');
const stores = replicaStores(T);
let round = 0;

const scale: PolicyInput = {
  name: 'scale',
  match: { severities: ['high', 'critical'] },
  action: { type: 'scale', delta: 1 },
  gate: 'approve',
};
const restart: PolicyInput = {
  name: 'restart',
  match: { severities: ['critical'] },
  action: { type: 'restart' },
  gate: 'approve',
};
const SCALE_TEXT = 'scale deployment shop/cart to 4 (ceiling 20)';
const real = (r: RecordedRequest) => r.method !== 'GET' && !r.dryRun;

interface Replica {
  pipeline: Pipeline;
  engine: HealingEngine;
  app: App;
}

/** Both replicas on one database, with the engine's config; A leads. */
async function start(kind: string, healing: Record<string, unknown>) {
  const kube: Harness = await startHarness();
  kube.kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 3 }));
  const stored = await stores[kind](`falsepositive${++round}`);
  const config = configSchema.parse({ watches: [], healing });
  const replica = async (store: Store, leads: boolean): Promise<Replica> => {
    const logger = pino({ level: 'silent' });
    const metrics = new Registry();
    const pipeline = new Pipeline({
      config,
      watches: [],
      repository: store.pipeline,
      logger,
      metrics,
      clock: kube.clock,
    });
    const engine = await buildHealing({
      config,
      store,
      logger,
      metrics,
      clock: kube.clock,
      pipeline,
      leads: () => leads,
      kube: kube.client,
    });
    const app = await injectingApp({ store, metrics }, [pipelineRoutes(pipeline), ...healingRoutes(engine)]);
    return { pipeline, engine, app };
  };
  const a = await replica(stored[0], true);
  const b = await replica(stored[1], false);
  let i = 0;

  /** An anomaly the owning replica's watch stored and handed to its listeners (healing among them). */
  const found = async (object: AnomalyEvent['object'], severity: Anomaly['severity'] = 'high') => {
    const [record] = await stored[0].pipeline.commitCycle({
      watch: 'w',
      lastProcessed: T,
      targets: [],
      anomalies: [anomalyRecord(++i, { state: 'open', severity, start: T, end: T })],
      predictions: [],
      forgotten: [],
    });
    const { targetId, id, ...rest } = record;
    const event = (over: Partial<AnomalyEvent['anomaly']> = {}): AnomalyEvent => ({
      anomaly: { ...rest, id: id!, target: targetId, ...over },
      object,
      score: 0.95,
    });
    a.pipeline.listeners.opened(event());
    await a.engine.idle();
    return { id: id!, event };
  };
  const cart = { kind: 'Deployment', namespace: 'shop', name: 'cart' } as const;

  const call = async (on: Replica, url: string, body: unknown, user: string) => {
    const res = await on.app.inject({
      method: 'POST',
      url,
      payload: body as object,
      headers: { ...AUTH, 'x-grafana-user': user },
    });
    return { status: res.statusCode, body: res.json() };
  };
  /** Feedback through the route, as the Overview's buttons send it, to replica B; its engine done with it. */
  const mark = async (anomalyId: number, kind: 'false_positive' | 'confirmed', user: string) => {
    const answer = await call(b, `/api/anomalies/${anomalyId}/feedback`, { kind }, user);
    expect(answer.status).toBe(200);
    await b.engine.idle();
  };
  const approve = (on: Replica, id: number, user: string) => call(on, `/api/actions/${id}/approve`, {}, user);
  const ofAnomaly = async (anomalyId: number) =>
    (await a.engine.actions.list({ triggerId: String(anomalyId), limit: 50, offset: 0 })).items
      .map((x) => ({ id: x.id, policy: x.policy, state: x.state }))
      .sort((x, y) => x.id - y.id);
  const audit = async (kinds: Array<AuditEntry['kind']>, anomalyId: number) =>
    (
      await a.engine.audit.list({ kind: kinds, triggerId: String(anomalyId), limit: 100, offset: 0, format: 'json' })
    ).items
      .reverse()
      .map((e) => ({ kind: e.kind, actionId: e.actionId, user: e.user, message: e.message }));
  /** The leader's tick (it alone executes and verifies), and whatever it started. */
  const leaderTurn = async () => {
    await a.engine.tick();
    await a.engine.idle();
  };

  return {
    kube,
    stored,
    a,
    b,
    cart,
    found,
    mark,
    approve,
    ofAnomaly,
    audit,
    leaderTurn,
    replicas: () => kube.kube.get('Deployment', 'cart', 'shop')?.spec?.replicas,
    close: async () => {
      for (const r of [a, b]) {
        await r.app.close();
        await r.engine.stop();
        await r.pipeline.stop();
      }
      await closeStores(stored);
      await kube.kube.close();
    },
  };
}

type World = Awaited<ReturnType<typeof start>>;
let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe.each(Object.keys(stores))('a false positive marked on the other replica, on %s', (kind) => {
  it('withdraws the proposal awaiting approval (approving it is refused, saying why) and its extensions propose nothing until it is confirmed', async () => {
    w = await start(kind, { policies: [scale, restart] });
    const { id, event } = await w.found(w.cart);
    const [withdrawn] = await w.ofAnomaly(id);
    expect(withdrawn).toMatchObject({ policy: 'scale', state: 'awaiting_approval' });

    await w.mark(id, 'false_positive', 'alice');
    const why = `alice marked anomaly ${id} a false positive: ${SCALE_TEXT} will not run`;
    expect(await w.a.engine.actions.get(withdrawn.id)).toMatchObject({
      state: 'cancelled',
      reason: { kind: 'false-positive', message: why },
    });
    const refused = await w.approve(w.a, withdrawn.id, 'bob');
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain(why);

    // The anomaly goes on and turns critical: the restart policy matches now, yet nothing is proposed.
    w.a.pipeline.listeners.updated(event({ severity: 'critical', end: T + 60_000 }));
    await w.a.engine.idle();
    await w.leaderTurn();
    expect(await w.ofAnomaly(id)).toEqual([{ id: withdrawn.id, policy: 'scale', state: 'cancelled' }]);
    expect(w.kube.kube.realWrites()).toEqual([]);

    // Confirmed after all: the withdrawn scale is proposed again in its place, the restart as well.
    await w.mark(id, 'confirmed', 'carol');
    const after = await w.ofAnomaly(id);
    expect(after.map((x) => [x.policy, x.state])).toEqual([
      ['scale', 'cancelled'],
      ['scale', 'awaiting_approval'],
      ['restart', 'awaiting_approval'],
    ]);
    // Approved on the follower, run by the leader.
    expect((await w.approve(w.b, after[1].id, 'bob')).status).toBe(200);
    await w.leaderTurn();
    expect(w.replicas()).toBe(4);

    expect(await w.audit(['cancelled', 'feedback'], id)).toEqual([
      { kind: 'cancelled', actionId: withdrawn.id, user: 'alice', message: why },
      {
        kind: 'feedback',
        user: 'alice',
        message: `alice marked anomaly ${id} a false positive: withdrew action ${withdrawn.id}; nothing more is proposed for it unless an operator marks it confirmed`,
      },
      {
        kind: 'feedback',
        user: 'carol',
        message: `carol marked anomaly ${id} confirmed after it was marked a false positive: healing acts on it again; action ${withdrawn.id} proposed again as action ${after[1].id}; proposed action ${after[2].id}`,
      },
    ]);
    const proposed = await w.audit(['proposed'], id);
    expect(proposed.find((e) => e.actionId === after[1].id)?.message).toContain(
      `again after action ${withdrawn.id} was withdrawn as a false positive and its anomaly confirmed since`
    );
  });

  it('withdraws an approved drain waiting for the node budget: it never runs, though the budget frees', async () => {
    w = await start(kind, {
      policies: [{ name: 'drain', action: { type: 'drain' }, gate: 'approve' }],
      limits: {
        cooldownSeconds: 0,
        maxActionsPerHour: 1000,
        maxActionsPerHourPerNamespace: 1000,
        nodeDisruption: { maxPercent: 40, minReadyPercent: 51 },
      },
    });
    w.kube.kube.add(
      node('spare-1'),
      node('spare-2'),
      node('spare-3'),
      node('n1'),
      node('n2'),
      node('sick', false, false)
    );
    const first = await w.found({ kind: 'Node', name: 'n1' });
    const second = await w.found({ kind: 'Node', name: 'n2' });
    const [[drained], [waiting]] = [await w.ofAnomaly(first.id), await w.ofAnomaly(second.id)];
    for (const action of [drained, waiting]) {
      expect((await w.approve(w.a, action.id, 'bob')).status).toBe(200);
      await w.leaderTurn();
    }
    expect((await w.a.engine.actions.get(drained.id))!.state).toBe('succeeded');
    expect(await w.a.engine.actions.get(waiting.id)).toMatchObject({
      state: 'approved',
      reason: { kind: 'node-budget' },
    });

    await w.mark(second.id, 'false_positive', 'alice');
    w.kube.kube.add(node('sick'));
    await w.leaderTurn();
    expect(await w.a.engine.actions.get(waiting.id)).toMatchObject({
      state: 'cancelled',
      reason: {
        kind: 'false-positive',
        message: `alice marked anomaly ${second.id} a false positive: drain node n2 will not run`,
      },
    });
    expect(w.kube.kube.get('Node', 'n2')!.spec!.unschedulable).toBeUndefined();
    // The other anomaly's drain is not touched.
    expect((await w.a.engine.actions.get(drained.id))!.state).toBe('succeeded');
  });

  it('leaves an executing action to finish, and says so in the audit log', async () => {
    w = await start(kind, { policies: [scale] });
    let arrived!: () => void;
    const patching = new Promise<void>((resolve) => (arrived = resolve));
    w.kube.kube.inject({ method: 'PATCH', path: /\/scale$/, match: real, hold: true, sideEffect: () => arrived() });
    const { id } = await w.found(w.cart);
    const [action] = await w.ofAnomaly(id);
    expect((await w.approve(w.a, action.id, 'bob')).status).toBe(200);
    await patching;
    expect((await w.a.engine.actions.get(action.id))!.state).toBe('executing');

    await w.mark(id, 'false_positive', 'alice');
    expect((await w.a.engine.actions.get(action.id))!.state).toBe('executing');
    w.kube.kube.release();
    await w.a.engine.idle();
    expect((await w.a.engine.actions.get(action.id))!.state).toBe('succeeded');
    expect(w.replicas()).toBe(4);
    expect((await w.audit(['feedback'], id)).map((e) => e.message)).toEqual([
      `alice marked anomaly ${id} a false positive: nothing to withdraw; action ${action.id} (${SCALE_TEXT}) has started and is left to finish; nothing more is proposed for it unless an operator marks it confirmed`,
    ]);
  });

  it('stops a ladder from escalating; confirmed, it escalates', async () => {
    const verifySeconds = 60;
    w = await start(kind, {
      policies: [
        {
          name: 'ladder',
          match: { severities: ['high'] },
          action: { type: 'restart' },
          gate: 'auto',
          verifySeconds,
          steps: [{ action: { type: 'scale', delta: 1 }, gate: 'approve' }],
        },
      ],
    });
    const { id } = await w.found(w.cart);
    const [restarted] = await w.ofAnomaly(id);
    expect((await w.a.engine.actions.get(restarted.id))!.state).toBe('succeeded');

    await w.mark(id, 'false_positive', 'alice');
    // The pipeline holds no score for the target: at the window's end the restart did not recover it.
    w.kube.clock.advance(10 * verifySeconds * 1000);
    await w.leaderTurn();
    expect(await w.ofAnomaly(id)).toEqual([{ id: restarted.id, policy: 'ladder', state: 'not_recovered' }]);
    const ladder = async () => (await w!.audit(['ladder'], id)).map((e) => e.message);
    expect(await ladder()).toEqual([
      `ladder of policy ladder: step 1 of 2 (rolling restart of deployment shop/cart) did not recover; the ladder stops: alice marked anomaly ${id} a false positive`,
    ]);

    await w.mark(id, 'confirmed', 'carol');
    const [, step2] = await w.ofAnomaly(id);
    expect(step2).toMatchObject({ policy: 'ladder', state: 'awaiting_approval' });
    expect((await w.a.engine.actions.get(step2.id))!.ladder).toMatchObject({
      step: 2,
      previous: [{ actionId: restarted.id }],
    });
    expect((await ladder())[1]).toMatch(/did not recover; escalates to step 2 of 2/);
  });

  it('holds from the store alone: a mark whose replica stopped before withdrawing anything stops the leader running the approved action', async () => {
    w = await start(kind, { policies: [scale, restart] });
    const { id, event } = await w.found(w.cart);
    const [action] = await w.ofAnomaly(id);
    // Approved on the follower, which does not execute; the leader has not ticked since.
    expect((await w.approve(w.b, action.id, 'bob')).status).toBe(200);
    // Replica B stored alice's mark and stopped before its engine heard of it.
    await w.stored[1].pipeline.addFeedback(id, 'false_positive', 'operator', 'alice', null);
    await w.leaderTurn();
    expect(await w.a.engine.actions.get(action.id)).toMatchObject({
      state: 'cancelled',
      reason: {
        kind: 'false-positive',
        message: `alice marked anomaly ${id} a false positive: ${SCALE_TEXT} will not run`,
      },
    });
    w.a.pipeline.listeners.updated(event({ severity: 'critical', end: T + 60_000 }));
    await w.a.engine.idle();
    expect(await w.ofAnomaly(id)).toEqual([{ id: action.id, policy: 'scale', state: 'cancelled' }]);
    expect(w.kube.kube.realWrites()).toEqual([]);
    expect(w.replicas()).toBe(3);
  });

  it("is never taken from healing's own verification: it neither withdraws nor lifts an operator's mark", async () => {
    w = await start(kind, { policies: [scale, restart] });
    const { id, event } = await w.found(w.cart);
    const [proposal] = await w.ofAnomaly(id);
    await w.b.pipeline.recordFeedback(id, 'false_positive', 'verification');
    await w.b.engine.idle();
    expect((await w.a.engine.actions.get(proposal.id))!.state).toBe('awaiting_approval');

    await w.mark(id, 'false_positive', 'alice');
    expect((await w.a.engine.actions.get(proposal.id))!.state).toBe('cancelled');
    // An action healed it, says the verification (as it does after any recovered action): the mark stands.
    await pipelineHooks(w.b.pipeline).onVerified(id, true, proposal.id);
    await w.b.engine.idle();
    w.a.pipeline.listeners.updated(event({ severity: 'critical', end: T + 60_000 }));
    await w.a.engine.idle();
    expect(await w.ofAnomaly(id)).toEqual([{ id: proposal.id, policy: 'scale', state: 'cancelled' }]);
    expect((await w.audit(['feedback'], id)).map((e) => e.user)).toEqual(['alice']);
  });
});
