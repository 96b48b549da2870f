import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import type { Clock } from '../../src/server/clock';
import { configSchema } from '../../src/server/config/schema';
import { Pipeline, type PipelineDeps } from '../../src/server/pipeline/pipeline';
import { SqlitePipelineRepository } from '../../src/server/pipeline/store/sqliteRepository';
import { openSqliteStore, type SqliteStore } from '../../src/server/store/sqlite';

/**
 * The one settable clock of the server's tests (implements the server's Clock): tests move time,
 * nothing waits. Timers (`every`, `after`, `timeout`) fire, in time order, when `advance` passes
 * their time, reading that time while they run. A `sleep` (a retry's back-off) returns at once
 * without moving time, and is recorded in `sleeps`.
 */
export class TestClock implements Clock {
  readonly sleeps: number[] = [];
  private timers: Array<{ at: number; seq: number; fn: () => void; every?: number }> = [];
  private seq = 0;

  constructor(public ms: number) {}

  now = (): number => this.ms;

  /** Time here is the test's: work takes as long as the test moves the clock. */
  elapsed = (): number => this.ms;

  sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
  };

  timeout = (ms: number): AbortSignal => {
    const controller = new AbortController();
    this.after(ms, () =>
      controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))
    );
    return controller.signal;
  };

  every = (ms: number, fn: () => void): (() => void) => this.schedule(ms, fn, ms);

  after = (ms: number, fn: () => void): (() => void) => this.schedule(ms, fn);

  /** Timers not yet fired or cancelled. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time on by `ms`, firing each timer that falls due at its own time. */
  advance(ms: number): void {
    const until = this.ms + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) {
        break;
      }
      this.ms = Math.max(this.ms, due.at);
      if (due.every === undefined) {
        this.timers = this.timers.filter((t) => t !== due);
      } else {
        due.at += due.every;
      }
      due.fn();
    }
    this.ms = until;
  }

  private schedule(ms: number, fn: () => void, every?: number): () => void {
    // A repeating timer of 0 ms would fire forever within one advance.
    const timer = { at: this.ms + Math.max(every === undefined ? 0 : 1, ms), seq: this.seq++, fn, every };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }
}

export interface Harness {
  pipeline: Pipeline;
  store: SqliteStore;
  metrics: Registry;
  dataDir: string;
  /** Closes the pipeline and the store; the data dir stays unless `remove`. */
  close(remove?: boolean): Promise<void>;
}

/**
 * Builds the pipeline exactly as main.ts does, from a config object as the YAML would hold it,
 * on a store in `dataDir` (a fresh temp dir by default) with the given clock.
 */
export function buildPipeline(
  rawConfig: Record<string, unknown>,
  clock: TestClock,
  options: { dataDir?: string; extra?: Partial<PipelineDeps> } = {}
): Harness {
  const config = configSchema.parse(rawConfig);
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'fp-pipeline-'));
  const store = openSqliteStore(dataDir, clock.now);
  const metrics = new Registry();
  const pipeline = new Pipeline({
    config,
    repository: new SqlitePipelineRepository(store.db, () => clock.now()),
    logger: pino({ level: 'silent' }),
    metrics,
    clock,
    ...options.extra,
  });
  // Restored at once (SQLite answers synchronously); a cycle waits for it anyway.
  void pipeline.init();
  return {
    pipeline,
    store,
    metrics,
    dataDir,
    close: async (remove = false) => {
      await pipeline.stop();
      store.close();
      if (remove) {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

export const HOUR = 3_600_000;
export const MINUTE = 60_000;

/** A watch of the compose demo's `compose/watches.yaml`, as written there (the demo's tests watch what it watches). */
export function composeWatch(name: string): unknown {
  const compose = parse(readFileSync(join(__dirname, '..', '..', 'compose', 'watches.yaml'), 'utf8'));
  return compose.watches.find((w: { name: string }) => w.name === name);
}

/**
 * One turn of the event loop (no timer, no clock): what settles by promise continuations alone (an
 * aborted fetch, an abandoned run's end) is done after it.
 */
export const aTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/** The pipeline's `failureprophet_query_errors_total` samples (none: no query failed). */
export async function queryErrors(h: Harness) {
  return (await h.metrics.getSingleMetric('failureprophet_query_errors_total')!.get()).values;
}
