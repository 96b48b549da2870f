// What the tests of a pipeline stopped and started again on its store share: the spiking fleet as
// Prometheus holds it at some real time, a logger that keeps its warnings, and pipelines opened on
// one data dir, each closed (and the dirs removed) after every test.
import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { RangeQuerier } from '../../src/server/pipeline/watchRunner';
import { spikingFleet } from '../harness/spikingFleet';
import { buildPipeline, type Harness } from './helpers';

/**
 * The spiking fleet (8 targets, spiking at `spikeAt`) as Prometheus has it: samples up to the real
 * time `latest()` only, whatever the pipeline's clock says, and the ones in `scrapedAhead` (scraped
 * while Prometheus's clock was that far ahead).
 */
export function fleetUpTo(spikeAt: number, latest: () => number, scrapedAhead?: [number, number]): RangeQuerier {
  const fleet = spikingFleet({ targets: 8, spikeAt });
  const kept = (t: number) =>
    t <= latest() || (scrapedAhead !== undefined && t >= scrapedAhead[0] && t <= scrapedAhead[1]);
  return {
    queryRange: async (q) =>
      (await fleet.queryRange(q)).map(({ labels, timestamps, values }) => {
        const keep = Array.from(timestamps, kept);
        return {
          labels,
          timestamps: timestamps.filter((_, i) => keep[i]),
          values: values.filter((_, i) => keep[i]),
        };
      }),
  };
}

/** A logger keeping what it logs at warn and above. */
export function warnings() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'warn' },
    new Writable({
      write(chunk, _e, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    })
  );
  return { logger, lines };
}

export const storedResumePoint = (h: Harness) =>
  (h.store.db.prepare('SELECT last_processed_ms AS l FROM pipeline_watches').get() as { l: unknown }).l;

export const j7Anomalies = async (h: Harness) =>
  (await h.pipeline.anomalies({ watch: 'w' })).filter((a) => a.labels.job === 'j7');

/**
 * `open` builds a pipeline (buildPipeline's arguments); `close` stops it, storing every state, and
 * closes its store, its data dir kept for the next one. Called in a describe: after each test every
 * pipeline still open is closed and every data dir removed.
 */
export function reopenedPipelines() {
  const running = new Set<Harness>();
  const dirs = new Set<string>();
  const open = (...args: Parameters<typeof buildPipeline>) => {
    const h = buildPipeline(...args);
    running.add(h);
    dirs.add(h.dataDir);
    return h;
  };
  const close = async (h: Harness) => {
    running.delete(h);
    await h.close();
  };
  afterEach(async () => {
    for (const h of running) {
      await close(h);
    }
    for (const dir of dirs) {
      rmSync(dir, { recursive: true, force: true });
    }
    dirs.clear();
  });
  return { open, close };
}
