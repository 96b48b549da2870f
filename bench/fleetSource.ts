/**
 * A Prometheus stand-in for the fleet benches: `/api/v1/query_range` over generated series, on
 * loopback. Backfilling 100,000 series into Debian's Prometheus takes longer than the bench and more
 * memory than the machine spares, so this double answers as Prometheus' HTTP API does (checked
 * against its documentation and `web/api/v1/api.go`): GET or form POST; `start`/`end` in Unix seconds
 * (decimals allowed), `step` in seconds; points at `start + k * step` up to `end`, values as strings,
 * series sorted by their labels, `__name__` kept for a plain selector, and 400 `bad_data` for what
 * Prometheus refuses (end before start, a step that is not positive, more than 11,000 points per
 * series, an expression it cannot parse). It understands only a selector with `label="value"`
 * matchers, which is all the benches ask; anything else is refused, never guessed.
 *
 * Series k (0-based) is `bench_memory_ratio` when k % 10 == 0 (a slow leak with a limit), else
 * `bench_load` (a daily rhythm plus noise); its labels are `instance="i-<k>"` and `half`, the
 * target's half by a hash of its instance, so two processes can each be given one half.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const MAX_POINTS = 11_000;

/**
 * Days of history a pipeline process replays (FP_BENCH_HISTORY_DAYS): one by default (every bucket of
 * the daily profile); 3 takes the detectors past ARTime's probation (62.5 h), to what a fleet holds
 * once it has learned.
 */
export const benchHistoryDays = (): number => Number(process.env.FP_BENCH_HISTORY_DAYS ?? 1);
const DAY_MS = 86_400_000;

export interface FleetSource {
  url: string;
  stop: () => Promise<void>;
}

interface FleetSeries {
  name: 'bench_load' | 'bench_memory_ratio';
  k: number;
  instance: string;
  half: '0' | '1';
}

/** FNV-1a of a string: the bench's stand-in for a target-id hash. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A deterministic uniform number in [0, 1) for series k at time t: the same answer for the same question. */
function noise(k: number, t: number): number {
  let h = Math.imul(k ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul((t / 1000) | 0, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return (h >>> 0) / 2 ** 32;
}

function sample(s: FleetSeries, t: number): number {
  if (s.name === 'bench_memory_ratio') {
    return 0.3 + (0.02 * (t % (30 * DAY_MS))) / DAY_MS + 0.01 * noise(s.k, t);
  }
  return 100 + (s.k % 50) + 10 * Math.sin((2 * Math.PI * (t % DAY_MS)) / DAY_MS) + 2 * noise(s.k, t);
}

const SELECTOR = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?$/;
const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"([^"\\]*)"\s*$/;

/** The series a selector picks, or why Prometheus would refuse it. */
function select(fleet: FleetSeries[], query: string): FleetSeries[] | string {
  const m = SELECTOR.exec(query.trim());
  if (!m) {
    return `invalid parameter "query": this stand-in parses only selectors: ${JSON.stringify(query)}`;
  }
  const matchers: Array<[string, string]> = [];
  for (const part of (m[2] ?? '').split(',').filter((p) => p.trim() !== '')) {
    const mm = MATCHER.exec(part);
    if (!mm) {
      return `invalid parameter "query": this stand-in parses only label="value" matchers: ${JSON.stringify(part)}`;
    }
    matchers.push([mm[1], mm[2]]);
  }
  return fleet.filter(
    (s) =>
      s.name === m[1] &&
      matchers.every(([label, value]) => (label === 'instance' ? s.instance : label === 'half' ? s.half : '') === value)
  );
}

async function params(req: IncomingMessage): Promise<URLSearchParams> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'POST') {
    return url.searchParams;
  }
  const chunks: Buffer[] = [];
  for await (const c of req) {
    chunks.push(c as Buffer);
  }
  const body = new URLSearchParams(Buffer.concat(chunks).toString());
  for (const [k, v] of url.searchParams) {
    body.append(k, v);
  }
  return body;
}

function badData(res: ServerResponse, error: string): void {
  res.writeHead(400, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error }));
}

/** Writes a matrix answer series by series, with backpressure, as Prometheus streams a large one. */
async function writeMatrix(res: ServerResponse, picked: FleetSeries[], start: number, end: number, step: number) {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  const write = (text: string) =>
    res.write(text) ? Promise.resolve() : new Promise<void>((resolve) => res.once('drain', resolve));
  await write('{"status":"success","data":{"resultType":"matrix","result":[');
  let batch: string[] = [];
  for (let i = 0; i < picked.length; i++) {
    const s = picked[i];
    const values: string[] = [];
    for (let t = start; t <= end; t += step) {
      values.push(`[${t / 1000},"${sample(s, t)}"]`);
    }
    batch.push(
      `${i > 0 ? ',' : ''}{"metric":{"__name__":"${s.name}","half":"${s.half}","instance":"${s.instance}"},"values":[${values.join(',')}]}`
    );
    if (batch.length === 1000) {
      await write(batch.join(''));
      batch = [];
    }
  }
  await write(`${batch.join('')}]}}`);
  res.end();
}

/** Starts the stand-in with `count` series on a free loopback port. */
export async function startFleetSource(count: number): Promise<FleetSource> {
  const fleet: FleetSeries[] = [];
  for (let k = 0; k < count; k++) {
    const instance = `i-${String(k).padStart(6, '0')}`;
    fleet.push({
      name: k % 10 === 0 ? 'bench_memory_ratio' : 'bench_load',
      k,
      instance,
      half: fnv1a(instance) % 2 === 0 ? '0' : '1',
    });
  }
  // Prometheus sorts a matrix by labels; instance names are zero-padded, so the order is k's.
  const server = createServer((req, res) => {
    void (async () => {
      if (!req.url?.startsWith('/api/v1/query_range')) {
        res.writeHead(404).end('404 page not found\n');
        return;
      }
      const p = await params(req);
      const start = Math.round(Number(p.get('start')) * 1000);
      const end = Math.round(Number(p.get('end')) * 1000);
      const step = Math.round(Number(p.get('step')) * 1000);
      if (!Number.isFinite(start) || !Number.isFinite(end)) {
        return badData(res, 'invalid parameter "start" or "end": cannot parse to a valid timestamp');
      }
      if (!(step > 0)) {
        return badData(res, 'zero or negative query resolution step widths are not accepted. Try a positive integer');
      }
      if (end < start) {
        return badData(res, 'end timestamp must not be before start time');
      }
      if ((end - start) / step > MAX_POINTS) {
        return badData(
          res,
          'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)'
        );
      }
      const picked = select(fleet, p.get('query') ?? '');
      if (typeof picked === 'string') {
        return badData(res, picked);
      }
      await writeMatrix(res, picked, start, end, step);
    })().catch((err: unknown) => res.destroy(err as Error));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
