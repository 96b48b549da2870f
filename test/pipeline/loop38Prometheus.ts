import pino from 'pino';
import type { PipelineDeps } from '../../src/server/pipeline/pipeline';
import { buildPipeline, MINUTE, TestClock, type Harness } from './helpers';
import { queryRangeServer, type QueryRange } from './queryRangeServer';

/** A query_range request as the double read it: times in epoch ms, and how many came before it. */
export interface Asked extends QueryRange {
  /** Requests answered before this one (from 0). */
  n: number;
}

/** What the double answers: a status (default 200), a body, headers. */
export interface Answer {
  status?: number;
  body: string;
  headers?: Record<string, string>;
}

export interface ScriptedPrometheus {
  url: string;
  /** Every query_range asked, in order. */
  readonly asked: Asked[];
  close(): Promise<void>;
}

/**
 * A Prometheus over real HTTP whose query_range answers `answer` writes, byte for byte (a body
 * Prometheus writes, or one it never would: a proxy's HTML, a truncated body); other paths 404.
 */
export async function scriptedPrometheus(answer: (asked: Asked) => Answer): Promise<ScriptedPrometheus> {
  const asked: Asked[] = [];
  const server = await queryRangeServer((range, res) => {
    const request = { ...range, n: asked.length };
    asked.push(request);
    const { status = 200, body: text, headers } = answer(request);
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(text);
  });
  return { url: server.url, asked, close: server.close };
}

/**
 * The watch these doubles' tests run: one query `x` by job, one-minute steps over an hour, no lag, and
 * a detector that scores from its tenth step.
 */
export const SCRIPTED_WATCH = {
  name: 'w',
  queries: { x: 'x' },
  target: ['job'],
  step: '1m',
  history: '1h',
  lag: 0,
  probation: 10,
  detector: 'zscore',
};

/** A series as Prometheus writes it in a matrix: `values`, `histograms` or both (web/api/v1/json_codec.go). */
export interface MatrixSeries {
  metric: Record<string, string>;
  values?: Array<[number, string]>;
  histograms?: Array<[number, unknown]>;
}

/** A successful query_range body, with the envelope's extra fields (warnings, infos) after the data, as Prometheus orders them. */
export function matrixBody(result: MatrixSeries[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ status: 'success', data: { resultType: 'matrix', result }, ...extra });
}

/** The float samples of [start, end] every step, `value(t)` each (undefined: no sample at t). */
export function samples(
  { start, end, step }: Pick<Asked, 'start' | 'end' | 'step'>,
  value: (t: number) => number | undefined
): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  for (let t = start; t <= end; t += step) {
    const v = value(t);
    if (v !== undefined) {
      out.push([t / 1000, String(v)]);
    }
  }
  return out;
}

/** A native histogram sample's object as Prometheus writes it (jsonutil.MarshalHistogram). */
export const HISTOGRAM = { count: '10', sum: '2.5', buckets: [[0, '0.5', '1', '10']] };

/** The steps the answers `good` says were read covered, in order: the loop lost and repeated none. */
export function stepsAnswered(asked: Asked[], good: (a: Asked) => boolean): number[] {
  return asked.filter(good).flatMap(({ start, end, step }) => {
    const steps: number[] = [];
    for (let t = start; t <= end; t += step) {
      steps.push(t);
    }
    return steps;
  });
}

/** Every minute step from `from` to `to`, both included. */
export const everyStep = (from: number, to: number) =>
  Array.from({ length: (to - from) / MINUTE + 1 }, (_, i) => from + i * MINUTE);

/** The time these doubles' tests start at, and the jobs of their fleet. */
export const SCRIPTED_NOW = Date.UTC(2025, 3, 7, 12);
export const SCRIPTED_JOBS = ['j0', 'j1', 'j2'];

/** Each job's value at t: a slow wave around its own level. */
export const jobLevel = (job: number, t: number) => 50 + 10 * job + Math.sin(t / (7 * MINUTE));

/** The series Prometheus answers for the fleet: every job at every step asked. */
export const fleetSeries = (asked: Asked, jobs = SCRIPTED_JOBS) =>
  jobs.map((job, k) => ({ metric: { job }, values: samples(asked, (t) => jobLevel(k, t)) }));

/** A pipeline on a scripted Prometheus, its clock, and what its backend logged at warn and above, message by message. */
export interface ScriptedRun {
  prom: ScriptedPrometheus;
  h: Harness;
  clock: TestClock;
  warnings: string[];
}

/** What a scripted run is built with: its watch (SCRIPTED_WATCH), the pipeline's deps, and any other config. */
type RunConfig = Record<string, unknown> & { watch?: Record<string, unknown>; extra?: Partial<PipelineDeps> };

/**
 * Starts pipelines on scripted Prometheus doubles at SCRIPTED_NOW, each closed with its double after
 * its test. Call it at the top of a test file (it registers the afterEach).
 */
export function scriptedRuns(): (answer: (asked: Asked) => Answer, config?: RunConfig) => Promise<ScriptedRun> {
  const runs: ScriptedRun[] = [];
  afterEach(async () => {
    for (const { h, prom } of runs.splice(0)) {
      await h.close(true);
      await prom.close();
    }
  });
  return async (answer, { watch = SCRIPTED_WATCH, extra, ...config } = {}) => {
    const prom = await scriptedPrometheus(answer);
    const clock = new TestClock(SCRIPTED_NOW);
    const warnings: string[] = [];
    const logger = pino(
      { level: 'warn' },
      { write: (line: string) => void warnings.push((JSON.parse(line) as { msg: string }).msg) }
    );
    const h = buildPipeline(
      {
        ...config,
        prometheus: { url: prom.url, ...((config.prometheus as Record<string, unknown> | undefined) ?? {}) },
        watches: [watch],
      },
      clock,
      { extra: { logger, ...extra } }
    );
    const run = { prom, h, clock, warnings };
    runs.push(run);
    return run;
  };
}

/** The run's one watch as the pipeline reports it now. */
export const watchStatus = (h: Harness) => h.pipeline.watches()[0];
