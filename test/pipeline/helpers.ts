import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { configSchema } from '../../src/server/config/schema';
import { Pipeline, type PipelineDeps } from '../../src/server/pipeline/pipeline';
import { openSqliteStore, type SqliteStore } from '../../src/server/store/sqlite';

/** A settable clock: tests move time, nothing sleeps. */
export class TestClock {
  constructor(public ms: number) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
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
    db: store.db,
    logger: pino({ level: 'silent' }),
    metrics,
    now: clock.now,
    sleep: async () => undefined,
    ...options.extra,
  });
  pipeline.init();
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
