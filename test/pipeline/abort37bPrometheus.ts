import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const STEP = 60_000;

/**
 * A Prometheus over real HTTP answering query_range with three jobs (j0, j1, j2) at every minute asked,
 * j0 at even minutes only when `gaps` (a target that lacks samples: the watch asks `up`), and holding
 * unanswered every query `holds` picks. `reached` resolves when the first held request arrives,
 * `closed` when the client closes it unanswered (its socket gone).
 */
export async function holdingPrometheus(holds: (query: string) => boolean, { gaps = false } = {}) {
  const held: ServerResponse[] = [];
  let arrived!: () => void;
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  let hungUp!: () => void;
  const closed = new Promise<void>((resolve) => (hungUp = resolve));
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      if (holds(params.get('query') ?? '')) {
        held.push(res);
        res.on('close', () => !res.writableFinished && hungUp());
        arrived();
        return;
      }
      const [start, end] = ['start', 'end'].map((name) => Math.round(Number(params.get(name)) * 1000));
      const result = ['j0', 'j1', 'j2'].map((job, k) => {
        const values: Array<[number, string]> = [];
        for (let t = start; t <= end; t += STEP) {
          if (!gaps || job !== 'j0' || (t / STEP) % 2 === 0) {
            values.push([t / 1000, String(50 + k + Math.sin(t / 420_000 + k))]);
          }
        }
        return { metric: { job }, values };
      });
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** The requests held so far. */
    held: () => held.length,
    reached,
    closed,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type HoldingPrometheus = Awaited<ReturnType<typeof holdingPrometheus>>;
