import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A query_range request as a Prometheus double reads it: its query, and its times in epoch ms. */
export interface QueryRange {
  query: string;
  start: number;
  end: number;
  step: number;
}

export interface QueryRangeServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A Prometheus over real HTTP on loopback that hands each query_range (at its own path or under Grafana's
 * data-source proxy, form-encoded as the client posts it) to `handle`, to answer or hold; other paths 404.
 */
export async function queryRangeServer(
  handle: (asked: QueryRange, res: ServerResponse) => void
): Promise<QueryRangeServer> {
  const server = createServer((req, res) => {
    if (!req.url?.endsWith('/api/v1/query_range')) {
      res.writeHead(404).end();
      return;
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      const [start, end, step] = ['start', 'end', 'step'].map((k) => Math.round(Number(params.get(k)) * 1000));
      handle({ query: params.get('query') ?? '', start, end, step }, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
