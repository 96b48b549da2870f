import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import pino from 'pino';
import { healingRoutes } from '../../src/server/http/routes/healing';
import { MAX_AUDIT_EXPORTS } from '../../src/server/http/routes/audit';
import { buildServer, type App } from '../../src/server/http/server';
import { API_TOKEN, AUTH } from '../harness/server';
import { setUp, type Setup } from '../healing/setup';

// A Viewer may download the audit log (GET api/* is open to Viewers through Grafana's proxy). A
// download lasts as long as its client takes to read it; through Grafana's proxy a slow browser
// slows the backend's writes alike. 40 MB of audit is more than the loopback buffers hold.
const ENTRIES = 40_000;

let s: Setup;
let app: App;
let base: string;
const downloads: ClientRequest[] = [];

beforeEach(async () => {
  s = await setUp();
  for (let i = 0; i < ENTRIES; i++) {
    await s.store.healing.audit.append({ at: i, kind: 'trigger_opened', message: `entry ${i} ${'x'.repeat(1000)}` });
  }
  app = await buildServer({
    logger: pino({ level: 'silent' }),
    apiToken: API_TOKEN,
    store: s.store,
    metrics: s.metrics,
    version: 'test',
    maxConcurrentRequests: 2,
    authenticatedRoutes: healingRoutes(s.engine),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterEach(async () => {
  downloads.splice(0).forEach((d) => d.destroy());
  await app.close();
  await s.close();
});

/** An export whose client reads its headers, then nothing more. */
function stalledDownload(): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = get(`${base}/api/audit?format=jsonl`, { headers: AUTH }, (response) => {
      response.pause();
      resolve(response);
    });
    request.on('error', reject);
    downloads.push(request);
  });
}

it('keeps serving the API while Viewers download the audit log and do not read it, and bounds the downloads', async () => {
  const stalled = await Promise.all([stalledDownload(), stalledDownload()]);
  expect(stalled.map((r) => r.statusCode)).toEqual([200, 200]);
  // Two downloads held both of the backend's request slots: an Admin could not reach the kill switch.
  const killSwitch = await fetch(`${base}/api/kill-switch`, { headers: AUTH });
  expect(killSwitch.status).toBe(200);

  const more = await Promise.all(Array.from({ length: MAX_AUDIT_EXPORTS - 2 }, () => stalledDownload()));
  expect(more.map((r) => r.statusCode)).toEqual(Array(MAX_AUDIT_EXPORTS - 2).fill(200));
  const refused = await fetch(`${base}/api/audit?format=csv`, { headers: AUTH });
  expect(refused.status).toBe(503);
  expect(refused.headers.get('retry-after')).toBe('1');
  expect(await refused.json()).toEqual({
    error: 'overloaded',
    message: '4 audit exports are downloading; retry shortly',
  });
  expect((await fetch(`${base}/api/audit?limit=1`, { headers: AUTH })).status).toBe(200);

  // A download that ends (its client went) frees its place, once the backend hears the socket close.
  downloads.shift()!.destroy();
  let status: number | undefined;
  for (let attempt = 0; attempt < 200 && status !== 200; attempt++) {
    await new Promise((resolve) => setImmediate(resolve));
    status = (await stalledDownload()).statusCode;
  }
  expect(status).toBe(200);
}, 60_000);
