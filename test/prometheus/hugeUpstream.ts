import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HugeUpstream {
  url: string;
  /** query_range requests received. */
  rangeRequests: () => number;
  /** Bytes written to all query_range answers so far (what a reader that never stops would have to hold). */
  bytesSent: () => number;
  /** query_range answers the client hung up on before their end. */
  abortedAnswers: () => number;
  stop: () => Promise<void>;
}

const HEAD = '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"huge"},"values":[';
const TAIL = '[1700000000,"1"]]}]}}';
const SAMPLE = '[1700000000,"1.5"],';
const CHUNK = SAMPLE.repeat(Math.ceil((256 * 1024) / SAMPLE.length));

/**
 * A Prometheus stand-in on loopback whose query_range answers are `answerBytes` of valid matrix
 * JSON, streamed in chunks as fast as the reader takes them (with backpressure, no Content-Length,
 * as Prometheus streams a large answer). Instant queries (readiness) get a small answer.
 */
export async function startHugeUpstream(answerBytes: number): Promise<HugeUpstream> {
  let range = 0;
  let sent = 0;
  let aborted = 0;
  const server = createServer((req, res) => {
    req.resume();
    if (req.url?.startsWith('/api/v1/query_range')) {
      range++;
      void stream(res, answerBytes).then((completed) => {
        if (!completed) {
          aborted++;
        }
      });
      return;
    }
    res.setHeader('Content-Type', 'application/json');
    res.end('{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"1"]}]}}');
  });

  async function stream(res: ServerResponse, total: number): Promise<boolean> {
    res.setHeader('Content-Type', 'application/json');
    let written = 0;
    const write = (text: string) =>
      new Promise<boolean>((resolve) => {
        if (res.destroyed) {
          return resolve(false);
        }
        written += text.length;
        sent += text.length;
        if (res.write(text)) {
          return resolve(true);
        }
        const done = (ok: boolean) => {
          res.off('drain', onDrain);
          res.off('close', onClose);
          resolve(ok);
        };
        const onDrain = () => done(true);
        const onClose = () => done(false);
        res.once('drain', onDrain).once('close', onClose);
      });
    if (!(await write(HEAD))) {
      return false;
    }
    while (written + CHUNK.length + TAIL.length < total) {
      if (!(await write(CHUNK))) {
        return false;
      }
    }
    res.end(TAIL);
    return true;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    rangeRequests: () => range,
    bytesSent: () => sent,
    abortedAnswers: () => aborted,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
