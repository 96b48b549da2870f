import { connect } from 'node:net';

/** An answer read off the socket: its status, its head (status line and headers) and its body. */
export interface RawAnswer {
  status: number;
  headers: string;
  body: string;
}

/**
 * Sends `request` to the backend on loopback `port` over a socket exactly as written (what a client
 * library would not send: odd request lines, repeated headers, raw bytes) and reads the answer until
 * the server closes the connection (the request says `Connection: close`).
 */
export function rawRequest(port: number, request: Buffer | string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const data = Buffer.concat(chunks);
      const end = data.indexOf('\r\n\r\n');
      const head = data.subarray(0, end < 0 ? data.length : end).toString('latin1');
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]),
        headers: head,
        body: end < 0 ? '' : data.subarray(end + 4).toString('utf8'),
      });
    });
  });
}

/** A header line as sent: the text and CRLF, in UTF-8. */
export const headerLine = (text: string) => Buffer.from(`${text}\r\n`, 'utf8');

/**
 * `method path` to the backend on `port` with these header lines (each its bytes as given, CRLF included)
 * and a JSON body when `body` is not empty, over rawRequest.
 */
export function rawSend(port: number, method: string, path: string, head: Buffer[], body = ''): Promise<RawAnswer> {
  const request = Buffer.concat([
    Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: backend\r\nConnection: close\r\n`, 'latin1'),
    ...head,
    Buffer.from(
      body ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}` : '\r\n',
      'utf8'
    ),
  ]);
  return rawRequest(port, request);
}
