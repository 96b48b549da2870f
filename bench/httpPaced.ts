/**
 * A paced (open-loop) load for `bench/http.bench.ts`: request k is due at start + k / rate, whatever
 * became of the earlier ones, as independent users' requests arrive. autocannon has no such mode: its
 * `overallRate` is a ceiling per second ("the max number of requests to make per second from all
 * connections"), and each connection sends its share back to back when its one-second interval starts
 * (`Client.prototype._doRequest`, autocannon 9.0.0), so "500 req/s" over 50 connections arrives as
 * bursts of 50. A response's latency here runs from its due time to its last byte, so time spent
 * waiting for a free connection or behind a late timer counts (no coordinated omission).
 */
import { Agent, request } from 'node:http';

export interface PacedOptions {
  url: string;
  headers: Record<string, string>;
  /** Requests per second. */
  rate: number;
  seconds: number;
  /** Connections the client keeps open at most; a request finding all busy waits (and that wait counts). */
  connections: number;
  /**
   * How long after the last request's due time the run waits for the answers left; those still waiting
   * then count as errors. An open loop the backend cannot keep up with queues without end: this bounds
   * the bench's time on a busy machine.
   */
  graceSeconds: number;
}

export interface LoadResult {
  /** Latency of each 2xx answer, ms, ascending. */
  served: number[];
  /** Answers 503 (shed). */
  shed: number;
  /** Other statuses and failed requests. */
  errors: number;
  /** Response bytes of the 2xx answers. */
  servedBytes: number;
  /** Seconds from the first due time to the last answer. */
  duration: number;
}

export async function paced(options: PacedOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const total = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  const served: number[] = [];
  let shed = 0;
  let errors = 0;
  let servedBytes = 0;
  let settled = 0;
  let sent = 0;
  /** Set when the run has ended: answers arriving after the grace time are not counted. */
  let finished = false;
  const start = performance.now();
  try {
    await new Promise<void>((resolve) => {
      const one = (due: number) => {
        const done = (status: number, bytes: number) => {
          if (finished) {
            return;
          }
          if (status >= 200 && status < 300) {
            served.push(performance.now() - due);
            servedBytes += bytes;
          } else if (status === 503) {
            shed++;
          } else {
            errors++;
          }
          if (++settled === total) {
            finished = true;
            clearTimeout(grace);
            resolve();
          }
        };
        const req = request(options.url, { agent, headers: options.headers }, (res) => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => (bytes += chunk.length));
          res.on('end', () => done(res.statusCode ?? 0, bytes));
          res.on('error', () => done(0, 0));
        });
        req.on('error', () => done(0, 0));
        // A request never answered would hold the run: after 30 s it counts as an error.
        req.setTimeout(30_000, () => req.destroy());
        req.end();
      };
      // Sends every request whose time has come, then sleeps until the next is due: a late timer
      // (a busy machine) sends the overdue ones at once, each still timed from its own due time.
      const tick = () => {
        const now = performance.now();
        while (sent < total && start + sent * interval <= now) {
          one(start + sent * interval);
          sent++;
        }
        if (sent < total) {
          setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
        }
      };
      const grace = setTimeout(
        () => {
          finished = true;
          errors += total - settled;
          resolve();
        },
        (options.seconds + options.graceSeconds) * 1000
      );
      tick();
    });
  } finally {
    agent.destroy();
  }
  return {
    served: served.sort((a, b) => a - b),
    shed,
    errors,
    servedBytes,
    duration: (performance.now() - start) / 1000,
  };
}
