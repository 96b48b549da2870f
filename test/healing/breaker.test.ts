// Issue 17, circuit breaker and "approve where you are": against the Kubernetes test server, through
// the HTTP routes, with the injected clock and a webhook receiver standing in for Slack.
import { actionLink } from '../../src/server/healing/approvals';
import { healingRoutes } from '../../src/server/http/routes/healing';
import type { App } from '../../src/server/http/server';
import { AUTH, injectingApp } from '../harness/server';
import { anomaly, setUp, Setup, webhookReceiver } from './setup';

let s: Setup;
let app: App;
afterEach(async () => {
  await app.close();
  await s.close();
});

const GRAFANA = 'https://grafana.example.com/';

const call = (method: 'GET' | 'POST', url: string, body?: unknown, user?: string) =>
  app.inject({
    method,
    url,
    payload: body as object,
    headers: { ...AUTH, ...(user ? { 'x-grafana-user': user } : {}) },
  });

it('opens on the fourth repeat: the fourth waits for approval, the operator is told once, an Editor closes it from the API', async () => {
  const { sent, notifier } = webhookReceiver();
  s = await setUp({
    policies: [{ name: 'restart', action: { type: 'restart' }, gate: 'auto' }],
    limits: { cooldownSeconds: 0 }, // the default breaker: 3 in 24 h
    notifier,
    actionLink: (id) => actionLink(GRAFANA, id),
  });
  app = await injectingApp(s, healingRoutes(s.engine));
  const fire = async () => {
    const [id] = await s.engine.onAnomaly(anomaly());
    await s.engine.idle();
    await s.clock.sleep(3_600_000);
    return (await s.engine.actions.get(id))!;
  };
  const first = [await fire(), await fire(), await fire()];
  expect(first.map((a) => a.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  expect(sent).toHaveLength(0);

  const fourth = await fire();
  expect(fourth).toMatchObject({
    state: 'awaiting_approval',
    reason: { kind: 'circuit-breaker', message: expect.stringContaining('restart ran 3 times in 24 h') },
  });
  const fifth = await fire();
  expect(fifth.state).toBe('blocked'); // a duplicate of the fourth, still waiting
  const breakers = (await call('GET', '/api/breakers')).json();
  expect(breakers.items).toEqual([
    expect.objectContaining({ target: 'deployment shop/cart', actionType: 'restart', repeats: 3, actionId: fourth.id }),
  ]);
  // Told once, when it opened, with the link to the action that waits.
  expect(sent.map((m) => m.body.text)).toEqual([
    expect.stringMatching(
      new RegExp(
        `^:rotating_light: Failure Prophet: circuit breaker open on deployment shop/cart: restart ran 3 times in 24 h .* \\(since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)\\. Action ${fourth.id} waits for approval. Open it in Grafana: https://grafana.example.com/a/failureprophet-healing-app/actions\\?action=${fourth.id}$`
      )
    ),
  ]);

  const wrong = await call('POST', '/api/breakers/close', { target: 'deployment shop/nothing' }, 'erin');
  expect(wrong.statusCode).toBe(404);
  const closed = await call(
    'POST',
    '/api/breakers/close',
    { target: 'deployment shop/cart', comment: 'fixed the leak' },
    'erin'
  );
  expect(closed.statusCode).toBe(200);
  expect(closed.json()).toMatchObject({
    closedBy: 'erin',
    comment: 'fixed the leak',
    closedAt: s.clock.now(),
  });
  expect((await call('GET', '/api/breakers')).json().items).toEqual([]);
  const audit = (await call('GET', '/api/audit?kind=breaker_opened,breaker_closed')).json();
  expect(audit.items.map((e: { kind: string; user?: string }) => [e.kind, e.user])).toEqual([
    ['breaker_closed', 'erin'],
    ['breaker_opened', undefined],
  ]);

  // Closed: repeats before the close do not count again, so automatic actions run there again.
  await s.engine.tick(); // the fourth waited longer than its approval timeout
  expect((await s.engine.actions.get(fourth.id))!.state).toBe('expired');
  expect((await fire()).state).toBe('succeeded');
});

it('the notification for an action awaiting approval carries the link to it on the Actions page', async () => {
  const { sent, notifier } = webhookReceiver();
  s = await setUp({ notifier, actionLink: (id) => actionLink(GRAFANA, id) });
  app = await injectingApp(s, healingRoutes(s.engine));
  const [id] = await s.engine.onAnomaly(anomaly({ summary: 'p99 latency rising' }));
  await s.engine.idle();
  const link = `https://grafana.example.com/a/failureprophet-healing-app/actions?action=${id}`;
  expect(sent).toEqual([
    {
      url: 'http://receiver.local/hook',
      body: expect.objectContaining({
        text: `:rotating_light: Failure Prophet: approval needed for action ${id}: scale deployment shop/cart to 4 (ceiling 20) (policy critical-scale-out, critical anomaly ${(await s.engine.actions.get(id))!.trigger.id}). Open it in Grafana: ${link}`,
        failureprophet: expect.objectContaining({ actionId: id, link }),
      }),
    },
  ]);
  const audit = (await call('GET', `/api/audit?actionId=${id}&kind=approval_requested`)).json();
  expect(audit.items[0]).toMatchObject({ message: expect.stringContaining('told the operator'), details: { link } });
  // The approval itself stays in Grafana, with the user recorded.
  expect((await call('POST', `/api/actions/${id}/approve`, {}, 'jane')).json().decisions[0].user).toBe('jane');
});
