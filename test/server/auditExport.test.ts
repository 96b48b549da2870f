import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import pino from 'pino';
import { Registry } from 'prom-client';
import { healingRoutes } from '../../src/server/http/routes/healing';
import { AUDIT_EXPORT_STALL_MS, MAX_AUDIT_EXPORTS, auditRoutes } from '../../src/server/http/routes/audit';
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
  await serve(healingRoutes(s.engine));
});

/** Builds and starts the backend with these routes (`app`, `base`); a server after the first its own metrics. */
async function serve(routes: FastifyPluginAsyncZod[], metrics = s.metrics): Promise<void> {
  app = await buildServer({
    logger: pino({ level: 'silent' }),
    apiToken: API_TOKEN,
    store: s.store,
    metrics,
    version: 'test',
    maxConcurrentRequests: 2,
    authenticatedRoutes: routes,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}

afterEach(async () => {
  downloads.splice(0).forEach((d) => d.destroy());
  await app.close();
  await s.close();
});

/** An export whose client reads its headers, then nothing more (until the test resumes it). */
function stalledDownload(): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = get(`${base}/api/audit?format=jsonl`, { headers: AUTH }, (response) => {
      response.pause();
      // Ended by the backend: the client sees its connection reset.
      response.on('error', () => undefined);
      resolve(response);
    });
    request.on('error', reject);
    downloads.push(request);
  });
}

/** Lets the event loop turn `n` times: loopback I/O between the backend and its clients moves on. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A paused download that counts what its client has read. */
function counting(response: IncomingMessage): { read: () => number; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  let read = 0;
  response.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    read += chunk.length;
  });
  return { read: () => read, chunks };
}

/**
 * Reads `bytes` more of a paused download, then pauses it again at once: paused from within its
 * 'data', it takes the first chunk past them (64 KiB at most), not every chunk the loopback holds.
 */
function take(response: IncomingMessage, read: () => number, bytes: number): Promise<void> {
  const target = read() + bytes;
  return new Promise((resolve) => {
    const onData = () => {
      if (read() >= target) {
        response.pause();
        done();
      }
    };
    const done = () => {
      response.off('data', onData);
      response.off('close', done);
      resolve();
    };
    response.on('data', onData);
    response.once('close', done);
    response.resume();
  });
}

/**
 * `count` looks of the backend's clock, its stall time apart: between two, the client of `taking` reads
 * `bytes` more (the first chunks past them, up to 64 KiB each), the others nothing.
 */
async function looks(s: Setup, count: number, taking: IncomingMessage, read: () => number, bytes: number) {
  for (let look = 0; look < count; look++) {
    await take(taking, read, bytes);
    await turns(20);
    s.clock.advance(AUDIT_EXPORT_STALL_MS);
    await turns(20);
  }
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

it('ends the exports whose clients read nothing for a while, freeing their slots, but not one read slowly', async () => {
  const slow = await stalledDownload();
  const { chunks, read } = counting(slow);
  const stalled = await Promise.all(Array.from({ length: MAX_AUDIT_EXPORTS - 1 }, () => stalledDownload()));
  expect(stalled.map((r) => r.statusCode)).toEqual(Array(MAX_AUDIT_EXPORTS - 1).fill(200));
  expect((await stalledDownload()).statusCode).toBe(503);

  // The slow client takes 2 MB between two looks of the backend's clock, the others nothing: by
  // the third look theirs have waited for the whole stall time (a paused client cannot see it end).
  await looks(s, 3, slow, read, 2 ** 21);
  const next = await Promise.all(Array.from({ length: MAX_AUDIT_EXPORTS - 1 }, () => stalledDownload()));
  expect(next.map((r) => r.statusCode)).toEqual(Array(MAX_AUDIT_EXPORTS - 1).fill(200));

  // The slow download was never cut: read to its end, it holds every entry.
  // Closed after its end, or when cut short.
  const all = new Promise<void>((resolve) => slow.once('close', resolve));
  slow.resume();
  await all;
  const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean);
  expect(lines.length).toBe(ENTRIES);
  expect(JSON.parse(lines[ENTRIES - 1])).toMatchObject({ message: expect.stringMatching(/^entry 39999 /) });
}, 60_000);

it('ends an export whose client keeps its buffers draining but takes too little (slowloris), and frees its slot', async () => {
  // On loopback the backend's socket buffers grow to megabytes and it can write again only once a third
  // or so of them is free: what a client takes shows in bursts of a megabyte or two, so the least asked
  // of a client here is scaled to them (16 MiB per look) and the trickle is 3 MiB a look. On a slow
  // link the buffers stay small and the default (240 KiB a look) holds alike.
  await app.close();
  await serve([auditRoutes(s.engine, 2 ** 24)], new Registry());
  const trickle = await stalledDownload();
  const { read } = counting(trickle);
  const stalled = await Promise.all(Array.from({ length: MAX_AUDIT_EXPORTS - 1 }, () => stalledDownload()));
  expect(stalled.map((r) => r.statusCode)).toEqual(Array(MAX_AUDIT_EXPORTS - 1).fill(200));

  await looks(s, 3, trickle, read, 3 * 2 ** 20);
  const next = await Promise.all(Array.from({ length: MAX_AUDIT_EXPORTS }, () => stalledDownload()));
  expect(next.map((r) => r.statusCode)).toEqual(Array(MAX_AUDIT_EXPORTS).fill(200));
}, 60_000);
