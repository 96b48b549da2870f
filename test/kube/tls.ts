// An https:// front for the Kubernetes API test server, as a real API server is served: settings
// saved in Grafana accept only https URLs, and their CA must verify it.
//
// tls/server-cert.pem (self-signed, CA:TRUE, for 127.0.0.1 and localhost, valid to 2126) and
// tls/other-ca.pem (an unrelated one, for "wrong CA" cases) were made with:
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 \
//     -keyout server-key.pem -out server-cert.pem -subj /CN=failureprophet-test-apiserver \
//     -addext "subjectAltName=IP:127.0.0.1,DNS:localhost"

import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const read = (file: string) => readFileSync(join(__dirname, 'tls', file), 'utf8');

/** The PEM of the CA that verifies the front. */
export const SERVER_CA = read('server-cert.pem');
/** A CA that does not. */
export const OTHER_CA = read('other-ca.pem');

export interface TlsFront {
  url: string;
  close(): Promise<void>;
}

/** Forwards every request over https on 127.0.0.1 to `target` (an http:// test server). */
export async function startTlsFront(target: string): Promise<TlsFront> {
  const upstream = new URL(target);
  const server = createServer({ key: read('server-key.pem'), cert: SERVER_CA }, (req, res) => {
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      }
    );
    forward.on('error', (err) => res.writeHead(502).end(err.message));
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
