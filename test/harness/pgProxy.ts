import { createServer, Socket, type AddressInfo, type Server } from 'node:net';

/** PostgreSQL's ReadyForQuery message: 'Z', length 5: the server has finished a command (and committed it). */
const READY_FOR_QUERY = Buffer.from([0x5a, 0, 0, 0, 5]);

export interface LosingProxy {
  /** `postgres://...` through the proxy, for a URL whose port was `target`. */
  url(direct: string): string;
  /**
   * The next time a client sends a statement whose text contains `sql`, the server's whole answer
   * to it is swallowed and the connection cut: the server did the work, the client never hears.
   */
  loseAnswerTo(sql: string): void;
  /** How many answers were lost so far. */
  readonly lost: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of a real PostgreSQL that can lose one answer, as a connection that dies
 * between the server's commit and the client reading it does. Without TLS (the harness' cluster
 * has none), the protocol's messages pass in clear: a statement is found by its text in the
 * client's bytes (simple or extended query), the end of its answer by ReadyForQuery.
 */
export async function startLosingProxy(target: number): Promise<LosingProxy> {
  let armed: Buffer | undefined;
  let lost = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client).add(upstream);
    let losing = false;
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (armed && chunk.includes(armed)) {
        armed = undefined;
        losing = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!losing) {
        client.write(chunk);
      } else if (chunk.includes(READY_FOR_QUERY)) {
        lost += 1;
        cut();
      }
    });
    for (const s of [client, upstream]) {
      s.on('error', cut);
      s.on('close', () => {
        sockets.delete(s);
        cut();
      });
    }
    upstream.connect(target, '127.0.0.1');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (direct) => {
      const u = new URL(direct);
      u.port = String(port);
      return u.toString();
    },
    loseAnswerTo: (sql) => {
      armed = Buffer.from(sql);
    },
    get lost() {
      return lost;
    },
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
