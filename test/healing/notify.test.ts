import { createNotifier } from '../../src/server/healing';
import { anomaly, setUp, Setup } from './setup';

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: any;
}

function fakeFetch(status: (url: string) => number = () => 200) {
  const sent: Sent[] = [];
  const fetchImpl = (async (url: string, init: RequestInit) => {
    sent.push({ url, headers: init.headers as Record<string, string>, body: JSON.parse(String(init.body)) });
    return new Response(status(url) === 200 ? '{"id":1}' : 'boom', { status: status(url) });
  }) as unknown as typeof fetch;
  return { sent, fetchImpl };
}

let s: Setup;
afterEach(() => s.close());

it('medium → notify: after approval, a Grafana annotation and a webhook Slack accepts', async () => {
  const { sent, fetchImpl } = fakeFetch();
  const notifier = createNotifier(
    { grafana: { url: 'http://grafana:3000/', token: 'glsa_x' }, webhookUrl: 'https://hooks.slack.com/services/T/B/X' },
    fetchImpl
  );
  s = await setUp({ notifier });
  const [id] = await s.engine.onAnomaly(anomaly({ severity: 'medium', summary: 'memory climbing' }));
  const proposed = (await s.engine.actions.get(id))!;
  expect(proposed).toMatchObject({
    state: 'awaiting_approval',
    policy: 'medium-notify',
    action: { type: 'notify', message: 'medium anomaly on deployment shop/cart: memory climbing' },
  });
  expect(proposed.dryRun!.summary).toBe(
    'would send a Grafana annotation at http://grafana:3000/ and a webhook to hooks.slack.com'
  );
  expect(sent).toHaveLength(0);

  await s.engine.approve(id, 'alice');
  await s.engine.idle();
  expect((await s.engine.actions.get(id))!.state).toBe('succeeded');
  const [annotation, webhook] = sent;
  expect(annotation).toMatchObject({
    url: 'http://grafana:3000/api/annotations',
    headers: { Authorization: 'Bearer glsa_x' },
    body: {
      time: s.clock.now(),
      tags: ['failureprophet', 'healing', 'medium', 'namespace:shop'],
      text: 'medium anomaly on deployment shop/cart: memory climbing',
    },
  });
  expect(webhook.url).toBe('https://hooks.slack.com/services/T/B/X');
  expect(webhook.body.text).toBe(
    ':rotating_light: Failure Prophet: medium anomaly on deployment shop/cart: memory climbing'
  );
  expect(webhook.body.failureprophet).toMatchObject({
    actionId: id,
    severity: 'medium',
    source: 'anomaly',
    labels: { namespace: 'shop' },
  });
});

it('a receiver that fails makes the action fail, saying which and how', async () => {
  const { fetchImpl } = fakeFetch(() => 400);
  s = await setUp({
    notifier: createNotifier({ webhookUrl: 'http://receiver.local/hook' }, fetchImpl),
    policies: [{ name: 'n', action: { type: 'notify', message: '{severity} on {target}' }, gate: 'auto' }],
  });
  const [id] = await s.engine.onAnomaly(anomaly());
  await s.engine.idle();
  expect(await s.engine.actions.get(id)).toMatchObject({
    state: 'failed',
    reason: { kind: 'notification', message: 'the webhook answered 400: boom' },
  });
});

it('with nothing configured the proposal is blocked, saying what to set', async () => {
  s = await setUp({ notifier: createNotifier({}) });
  const [id] = await s.engine.onAnomaly(anomaly({ severity: 'medium' }));
  expect(await s.engine.actions.get(id)).toMatchObject({
    state: 'blocked',
    reason: { kind: 'not-configured', message: expect.stringContaining('FP_GRAFANA_URL and FP_GRAFANA_TOKEN') },
  });
});

// Slack reads &, < and > in `text` as control characters (`<url|label>` a link, `<!channel>` a
// mention of everyone) and asks that text not meant as markup carry them as &amp; &lt; &gt;
// (api.slack.com, "Formatting text for app surfaces", escaping). An anomaly's or alert's summary
// and a silence's comment are written by whoever writes alert rules, labels or silences.
it('sends the message as text Grafana and Slack show, not as links, images or mentions they make of it', async () => {
  const { sent, fetchImpl } = fakeFetch();
  s = await setUp({
    notifier: createNotifier(
      {
        grafana: { url: 'http://grafana:3000', token: 'glsa_x' },
        webhookUrl: 'https://hooks.slack.com/services/T/B/X',
      },
      fetchImpl
    ),
    policies: [{ name: 'n', action: { type: 'notify', message: '{summary}' }, gate: 'auto' }],
  });
  await s.engine.onAnomaly(anomaly({ summary: '<!channel> <https://evil.example/|Approve it in Grafana> & go' }));
  await s.engine.idle();
  const [annotation, webhook] = sent;
  // Grafana shows an annotation's text as sanitised HTML, which keeps links and images.
  expect(annotation.body.text).toBe('&lt;!channel&gt; &lt;https://evil.example/|Approve it in Grafana&gt; &amp; go');
  expect(webhook.body.text).toBe(
    ':rotating_light: Failure Prophet: &lt;!channel&gt; &lt;https://evil.example/|Approve it in Grafana&gt; &amp; go'
  );
  // The details beside it keep the words as they are, for receivers that are not Slack.
  expect(webhook.body.failureprophet.labels).toEqual(expect.objectContaining({ namespace: 'shop' }));
});
