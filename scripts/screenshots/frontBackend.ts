import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readinessSchema } from '../../src/contract/health';
import { targetsResponseSchema } from '../../src/contract/pipeline';
import { targetDetailSchema } from '../../src/contract/targetDetail';
import type { RunningBackend, SuiteBackend } from '../../test/browser/harness';
import { CART_LATENCY, cartLatency, fleet } from './fleet';

const TARGET_PATH = /^\/api\/targets\/([^/]+)$/;

/**
 * The backend the screenshots' Grafana talks to: the real one, seeded, except where it would need
 * Prometheus. Its targets are the fleet's (each checked against the contract the pages parse), a
 * target's detail is the fleet's target with what the store holds of it, and it reports Prometheus
 * reachable; every other request goes to the real backend as it came.
 */
export async function startFrontBackend(
  backend: RunningBackend,
  now: number
): Promise<SuiteBackend & { errors: string[] }> {
  const targets = fleet(now);
  const errors: string[] = [];

  const answer = async (method: string, path: string, headers: Record<string, string>): Promise<unknown> => {
    if (method !== 'GET') {
      return undefined;
    }
    if (path === '/readyz') {
      const real = (await backend.request('GET', '/readyz')).body;
      return readinessSchema.parse({
        ...real,
        status: 'ready',
        checks: { ...real.checks, prometheus: { ok: true, message: 'Prometheus answers' } },
      });
    }
    if (path === '/api/targets') {
      return targetsResponseSchema.parse({ targets, next: null, total: targets.length });
    }
    const id = TARGET_PATH.exec(path)?.[1];
    const target = targets.find((t) => t.id === (id && decodeURIComponent(id)));
    if (!target) {
      return undefined;
    }
    // The store's history of it, which the real backend serves for a target it does not score.
    const stored = await fetch(`${backend.url}${path}`, { headers }).then((r) => r.json());
    return targetDetailSchema.parse({
      ...stored,
      scored: true,
      target,
      series: target.id === CART_LATENCY ? { p99: cartLatency(now) } : {},
    });
  };

  const forward = async (req: IncomingMessage, res: ServerResponse, headers: Record<string, string>) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      chunks.push(chunk as Buffer);
    }
    const upstream = await fetch(`${backend.url}${req.url}`, {
      method: req.method,
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    res.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://front');
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type', 'x-grafana-user']) {
      const value = req.headers[name];
      if (typeof value === 'string') {
        headers[name] = value;
      }
    }
    const reply = async () => {
      const body = await answer(req.method ?? 'GET', url.pathname, headers);
      if (body === undefined) {
        await forward(req, res, headers);
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      }
    };
    reply().catch((err: Error) => {
      // A fixture the contract refuses is the script's bug: the page shows it, and the script fails on it.
      errors.push(`${req.method} ${req.url}: ${err.message}`);
      res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: err.message }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token: backend.token,
    errors,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
