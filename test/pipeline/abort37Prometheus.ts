import type { ServerResponse } from 'node:http';
import { queryRangeServer, type QueryRange } from './queryRangeServer';

/**
 * A Prometheus over real HTTP that answers query_range (at its own path or under Grafana's
 * data-source proxy) with `jobs` jobs (j0, j1, ...), each a slow sine around its own level at every
 * step asked (j0 at even minutes only with `gaps`: a target that lacks samples, so the watch asks
 * `up`), and holds unanswered each query_range that `holds` picks by its query, and every one once it
 * stalls. `closed` tells when the client closed a held request, its socket gone before any answer
 * (its response's 'close', unfinished).
 */
export interface StallingPrometheus {
  url: string;
  /** The query_range requests answered or held, in order. */
  readonly asked: number;
  /** The query_range requests held so far. */
  readonly held: number;
  /** Holds every query_range after the next `answers` (default none). */
  stall(answers?: number): void;
  /** Resolves when the nth held request (from 1) arrives. */
  reached(n?: number): Promise<void>;
  /** Resolves when the client closes the nth held request, unanswered. */
  closed(n?: number): Promise<void>;
  close(): Promise<void>;
}

export interface StallingOptions {
  jobs?: number;
  /** Held from the start, whether it stalled or not. */
  holds?: (query: string) => boolean;
  gaps?: boolean;
}

export async function stallingPrometheus({
  jobs = 10,
  holds = () => false,
  gaps = false,
}: StallingOptions = {}): Promise<StallingPrometheus> {
  let stallAfter = Infinity;
  let asked = 0;
  const held: ServerResponse[] = [];
  const arrivals = new Deferreds();
  const hangUps = new Deferreds();
  const server = await queryRangeServer((range, res) => {
    asked++;
    if (asked > stallAfter || holds(range.query)) {
      held.push(res);
      const n = held.length;
      res.on('close', () => !res.writableFinished && hangUps.resolve(n));
      arrivals.resolve(n);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(matrix(range, jobs, gaps)));
  });
  return {
    url: server.url,
    get asked() {
      return asked;
    },
    get held() {
      return held.length;
    },
    stall: (answers = 0) => void (stallAfter = asked + answers),
    reached: (n = 1) => arrivals.get(n),
    closed: (n = 1) => hangUps.get(n),
    close: server.close,
  };
}

/** The answer Prometheus gives to a query_range: every job sampled at every step (but j0's gaps). */
function matrix({ start, end, step }: QueryRange, jobs: number, gaps: boolean) {
  const result = Array.from({ length: jobs }, (_, k) => {
    const values: Array<[number, string]> = [];
    for (let t = start; t <= end; t += step) {
      if (!gaps || k !== 0 || (t / 60_000) % 2 === 0) {
        values.push([t / 1000, String(50 + k + 3 * Math.sin(t / 420_000 + k))]);
      }
    }
    return { metric: { job: `j${k}` }, values };
  });
  return { status: 'success', data: { resultType: 'matrix', result } };
}

/** Promises by number, each resolved once its event happens (before or after it is asked for). */
class Deferreds {
  private readonly byNumber = new Map<number, { promise: Promise<void>; resolve: () => void }>();

  get(n: number): Promise<void> {
    return this.entry(n).promise;
  }

  resolve(n: number): void {
    this.entry(n).resolve();
  }

  private entry(n: number) {
    let entry = this.byNumber.get(n);
    if (!entry) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      entry = { promise, resolve };
      this.byNumber.set(n, entry);
    }
    return entry;
  }
}
