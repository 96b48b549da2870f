// Issue 17, escalation ladders: against the Kubernetes test server, with the injected clock.
import type { PolicyInput } from '../../src/contract/healing';
import { deployment } from '../kube/objects';
import { anomaly, realWrites, setUp, Setup, webhookReceiver } from './setup';

let s: Setup;
afterEach(() => s.close());

/** restart → scale out by 1 → tell on-call: each step gets 5 minutes to work. */
const LADDER: PolicyInput = {
  name: 'cart-ladder',
  match: { severities: ['critical'] },
  action: { type: 'restart' },
  gate: 'auto',
  verifySeconds: 300,
  steps: [
    { action: { type: 'scale', delta: 1 }, gate: 'auto', verifySeconds: 300 },
    {
      action: { type: 'notify', message: 'page on-call: {target} does not recover' },
      gate: 'approve',
      verifySeconds: 300,
    },
  ],
};

const ladderNotes = async () =>
  (await s.engine.audit.list({ kind: ['ladder'], limit: 50, offset: 0, format: 'json' })).items
    .map((e) => e.message)
    .reverse();

/** Lets the step's window pass, verifies, and runs what the verification set off. */
async function windowPasses(ms = 301_000) {
  await s.clock.sleep(ms);
  await s.engine.tick();
  await s.engine.idle();
  await s.engine.tick();
  await s.engine.idle();
}

const replicas = () => s.kube.get('Deployment', 'cart', 'shop')?.spec?.replicas;

it('escalates twice while the target does not recover and stops at the first recovery', async () => {
  let score = 0.95;
  const { notifier, sent } = webhookReceiver();
  s = await setUp({ policies: [LADDER], readSignal: async () => score, notifier });

  const [restart] = await s.engine.onAnomaly(anomaly());
  await s.engine.idle();
  expect(await s.engine.actions.get(restart)).toMatchObject({
    state: 'succeeded',
    ladder: { policy: 'cart-ladder', step: 1, steps: 3, verifySeconds: 300, previous: [] },
  });

  await windowPasses();
  expect((await s.engine.actions.get(restart))!.state).toBe('not_recovered');
  const scale = (await s.engine.actions.list({ policy: 'cart-ladder', limit: 10, offset: 0 })).items[0];
  expect(scale).toMatchObject({
    state: 'succeeded',
    action: { type: 'scale', replicas: 4 },
    ladder: {
      step: 2,
      steps: 3,
      previous: [{ actionId: restart, step: 1, type: 'restart', state: 'not_recovered' }],
    },
  });
  expect(replicas()).toBe(4);

  await windowPasses();
  const notify = (await s.engine.actions.list({ policy: 'cart-ladder', limit: 10, offset: 0 })).items[0];
  expect(notify).toMatchObject({
    state: 'awaiting_approval',
    gate: 'approve',
    action: { type: 'notify', message: 'page on-call: deployment shop/cart does not recover' },
    ladder: {
      step: 3,
      previous: [
        { actionId: restart, type: 'restart', state: 'not_recovered' },
        { actionId: scale.id, type: 'scale', state: 'not_recovered' },
      ],
    },
  });
  await s.engine.approve(notify.id, 'alice');
  await s.engine.idle();
  expect(sent.map((m) => m.body.text)).toEqual([
    ':rotating_light: Failure Prophet: page on-call: deployment shop/cart does not recover',
  ]);

  score = 0.2;
  await windowPasses(61_000);
  expect((await s.engine.actions.get(notify.id))!.state).toBe('verified');
  expect((await s.engine.actions.list({ policy: 'cart-ladder', limit: 10, offset: 0 })).total).toBe(3);
  expect(await ladderNotes()).toEqual([
    expect.stringMatching(
      /step 1 of 3 \(rolling restart .*\) did not recover; escalates to step 2 of 3: action \d+ \(scale, gate auto\)/
    ),
    expect.stringMatching(
      /step 2 of 3 \(scale .*\) did not recover; escalates to step 3 of 3: action \d+ \(notify, gate approve\)/
    ),
    expect.stringMatching(/step 3 of 3 \(notify: .*\) recovered; the ladder stops/),
  ]);
  // The history is in the audit log's proposal too.
  const proposed = await s.engine.audit.list({
    actionId: notify.id,
    kind: ['proposed'],
    limit: 5,
    offset: 0,
    format: 'json',
  });
  expect(proposed.items[0].message).toMatch(
    new RegExp(
      `step 3 of 3 of its ladder after action ${restart} \\(restart, not_recovered\\), action ${scale.id} \\(scale, not_recovered\\)`
    )
  );
});

it('stops at step 1 when it recovers there: the later steps are never proposed', async () => {
  let score = 0.95;
  s = await setUp({ policies: [LADDER], readSignal: async () => score });
  const [restart] = await s.engine.onAnomaly(anomaly());
  await s.engine.idle();
  score = 0.1;
  await windowPasses(61_000);
  expect((await s.engine.actions.get(restart))!.state).toBe('verified');
  expect((await s.engine.actions.list({ limit: 10, offset: 0 })).total).toBe(1);
  expect(await ladderNotes()).toEqual([expect.stringMatching(/step 1 of 3 .* recovered; the ladder stops/)]);
});

it('a rejected step stops the ladder: nothing further is proposed or run', async () => {
  s = await setUp({
    policies: [
      { ...LADDER, steps: [{ action: { type: 'scale', delta: 1 }, gate: 'approve' }, ...LADDER.steps!.slice(1)] },
    ],
    readSignal: async () => 0.95,
  });
  const [restart] = await s.engine.onAnomaly(anomaly());
  await s.engine.idle();
  await windowPasses();
  const scale = (await s.engine.actions.list({ state: ['awaiting_approval'], limit: 10, offset: 0 })).items[0];
  expect(scale).toMatchObject({ action: { type: 'scale' }, ladder: { step: 2, previous: [{ actionId: restart }] } });
  expect((await s.engine.reject(scale.id, 'bob', 'scaling will not help')).ok).toBe(true);
  await windowPasses(3_600_000);
  expect((await s.engine.actions.list({ limit: 10, offset: 0 })).total).toBe(2);
  expect(replicas()).toBe(3);
  expect(realWrites(s).map((w) => w.method)).toEqual(['PATCH']); // the restart only
  expect((await ladderNotes())[1]).toMatch(/step 2 of 3 \(scale .*\) was rejected; the ladder stops/);
  expect((await s.engine.actions.get(scale.id))!.state).toBe('rejected');
});

it('a superseded step is proposed again as the same step of its ladder, with its history', async () => {
  s = await setUp({
    policies: [
      {
        ...LADDER,
        steps: [{ action: { type: 'scale', delta: 1 }, gate: 'approve', verifySeconds: 300 }],
      },
    ],
    readSignal: async () => 0.95,
  });
  const [restart] = await s.engine.onAnomaly(anomaly());
  await s.engine.idle();
  await windowPasses();
  const scale = (await s.engine.actions.list({ policy: 'cart-ladder', limit: 10, offset: 0 })).items[0];
  expect(scale).toMatchObject({ state: 'awaiting_approval', ladder: { step: 2, steps: 2 } });
  // Someone scales the workload before the approval: the approved change is no longer the one planned.
  s.kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 9 }));
  await s.engine.approve(scale.id, 'alice');
  await s.engine.idle();
  expect((await s.engine.actions.get(scale.id))!.state).toBe('superseded');
  const again = (await s.engine.actions.list({ policy: 'cart-ladder', limit: 10, offset: 0 })).items[0];
  expect(again.id).not.toBe(scale.id);
  expect(again).toMatchObject({
    state: 'awaiting_approval',
    gate: 'approve',
    action: { type: 'scale', replicas: 10, expectReplicas: 9 },
    ladder: { step: 2, steps: 2, previous: [{ actionId: restart, step: 1, type: 'restart', state: 'not_recovered' }] },
  });
  expect(replicas()).toBe(9);
});
