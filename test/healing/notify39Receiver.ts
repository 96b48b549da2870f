// Notification receivers on a real socket (node:http), Grafana's annotations API and a webhook, that
// count what they were delivered and can hold a request open: what a process stopped mid-send leaves
// behind. And a process's fetch that can be killed mid-request.

import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request a receiver took (its body read to the end: it may act on it whether or not it answers). */
export interface Delivery {
  path: string;
  text: string;
}

/** What a receiver does with what it took: answers with a status, or holds the request open. */
export type Handling = number | 'hold';

export const ANNOTATIONS = '/api/annotations';
export const HOOK = '/hook';

export async function startReceivers(handle: (path: string, nth: number) => Handling) {
  const deliveries: Delivery[] = [];
  const held: ServerResponse[] = [];
  const waiting: Array<{ count: number; resolve: () => void }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      const { text } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text: string };
      const nth = deliveries.filter((d) => d.path === path).length;
      deliveries.push({ path, text });
      for (const w of waiting.filter((w) => deliveries.length >= w.count)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
      const handling = handle(path, nth);
      if (handling === 'hold') {
        held.push(res);
      } else {
        res.writeHead(handling).end(handling < 300 ? '{}' : 'no');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    deliveries,
    /** Deliveries to one path. */
    to: (path: string) => deliveries.filter((d) => d.path === path),
    /** Resolves once `count` requests in all were delivered. */
    delivered: (count: number) =>
      deliveries.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ count, resolve })),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A process's fetch: real requests until `kill`, which cuts what it has in flight (as its sockets
 * close when the process dies) and never lets the process run on: the cut request never settles.
 */
export function mortalFetch(): { fetchImpl: typeof fetch; kill: () => void } {
  const death = new AbortController();
  const fetchImpl = async (url: string, init: RequestInit = {}) => {
    const signals = [death.signal, ...(init.signal ? [init.signal] : [])];
    try {
      return await fetch(url, { ...init, signal: AbortSignal.any(signals) });
    } catch (err) {
      if (death.signal.aborted) {
        return new Promise<never>(() => undefined);
      }
      throw err;
    }
  };
  return { fetchImpl: fetchImpl as unknown as typeof fetch, kill: () => death.abort() };
}
