import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { HealingTrigger } from '../../src/contract/healing';
import { anomaly } from '../../src/app/testUtils/fixtures';
import { createNotifier } from '../../src/server/healing/notify';
import { SilenceSource } from '../../src/server/healing/silences';
import { GrafanaAnnotator } from '../../src/server/pipeline/annotations';
import type { PipelineRepository } from '../../src/server/pipeline/store/repository';
import { PrometheusClient } from '../../src/server/prometheus/client';
import { PrometheusError } from '../../src/server/prometheus/types';

// Whoever answers for an upstream (Prometheus, Alertmanager, Grafana, the webhook), or the network
// before a plain-HTTP one, may answer with a redirect. Followed, it sent the backend to any address
// the backend reaches (here "internal": a cluster service, a cloud metadata endpoint), and the first
// 200 characters of that answer came back in errors that /api/watches and the actions list show.
const SECRET = 'AccessKeyId=ASIA-internal-only';
let internal: Server;
let upstream: Server;
let internalUrl: string;
let upstreamUrl: string;
const reached: string[] = [];

const listen = async (server: Server, host: string) => {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return `http://${host}:${(server.address() as AddressInfo).port}`;
};

beforeAll(async () => {
  internal = createServer((req, res) => {
    reached.push(`${req.method} ${req.url}`);
    res.end(SECRET);
  });
  internalUrl = await listen(internal, '127.0.0.2');
  upstream = createServer((_req, res) => {
    res.writeHead(307, { Location: `${internalUrl}/latest/meta-data/iam/security-credentials/node` }).end();
  });
  upstreamUrl = await listen(upstream, '127.0.0.1');
});
afterAll(async () => {
  await new Promise((resolve) => internal.close(resolve));
  await new Promise((resolve) => upstream.close(resolve));
});
beforeEach(() => reached.splice(0));

const clock = { now: () => 0, timeout: (ms: number) => AbortSignal.timeout(ms) };

it('Prometheus: a redirect is an HTTP error naming the status, not followed', async () => {
  const error = await new PrometheusClient({ baseUrl: upstreamUrl, timeoutMs: 5000 }).query('up').then(
    () => undefined,
    (err: unknown) => err
  );
  expect(error).toBeInstanceOf(PrometheusError);
  expect(String(error)).toMatch(/answered HTTP 307/);
  expect(String(error)).not.toContain(SECRET);
  expect(reached).toEqual([]);
});

it('Alertmanager: the silences are unreadable (automation waits), and the redirect is not followed', async () => {
  const refusal = await new SilenceSource({ url: upstreamUrl, clock, cacheMs: 0 }).refusal(anomalyTrigger());
  expect(refusal?.message).toMatch(/answered 307/);
  expect(refusal?.message).not.toContain(SECRET);
  expect(reached).toEqual([]);
});

it('the webhook and Grafana annotations: nothing is sent where the redirect points', async () => {
  const sent = await createNotifier({
    webhookUrl: `${upstreamUrl}/hook`,
    grafana: { url: upstreamUrl, token: 't' },
  }).send({
    message: 'restart shop/cart',
    trigger: anomalyTrigger(),
    at: 0,
  });
  expect(sent.ok).toBe(false);
  expect(sent.summary).toMatch(/answered 307/);
  const repo = {
    annotationOf: async () => null,
    setAnnotation: async () => undefined,
  } as unknown as PipelineRepository;
  const annotator = new GrafanaAnnotator({
    grafanaUrl: upstreamUrl,
    token: 't',
    repo,
    logger: pino({ level: 'silent' }),
    clock,
  });
  const { feedback: _feedback, ...opened } = anomaly(1);
  annotator.opened({ anomaly: opened, object: null, score: 0.9 });
  await annotator.flush();
  expect(reached).toEqual([]);
});

function anomalyTrigger(): HealingTrigger {
  return { source: 'anomaly', id: 1, severity: 'critical', labels: { namespace: 'shop' }, watch: 'w', startedAt: 0 };
}
