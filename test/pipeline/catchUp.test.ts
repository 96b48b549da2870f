import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Anomaly } from '../../src/contract/pipeline';
import type { RangeQuery } from '../../src/server/prometheus/client';
import { SqlitePipelineRepository } from '../../src/server/pipeline/store/sqliteRepository';
import { replaceNaN } from '../../src/server/pipeline/store/stateCodec';
import type { RangeQuerier } from '../../src/server/pipeline/watchRunner';
import { DATABASE_FILE } from '../../src/server/store/sqlite';
import { buildPipeline, MINUTE, TestClock } from './helpers';

const NOW = Date.UTC(2025, 3, 7, 12);
const TARGETS = 40;
/** The backend is down for this long after replaying the history: the next cycle catches up. */
const OUTAGE = 30 * MINUTE;
/** Target j07 departs from its usual level here, during the outage: an anomaly opens in the catch-up. */
const SPIKE = NOW + 12 * MINUTE;

/** A query_range double that records every range it is asked for, by query. */
function recordingQuerier(asked: RangeQuery[]): RangeQuerier {
  return {
    queryRange: async (q) => {
      asked.push(q);
      const n = (q.end - q.start) / q.stepMs + 1;
      const timestamps = Float64Array.from({ length: n }, (_, i) => q.start + i * q.stepMs);
      return Array.from({ length: TARGETS }, (_, k) => ({
        labels: { job: `j${String(k).padStart(2, '0')}` },
        timestamps,
        values: timestamps.map((t) => {
          const spike = k === 7 && t >= SPIKE && t < SPIKE + 6 * MINUTE;
          return 50 + k + 3 * Math.sin(t / (7 * MINUTE) + k) + (spike ? 400 : 0);
        }),
      }));
    },
  };
}

const config = (pipeline: Record<string, unknown>) => ({
  pipeline,
  watches: [{ name: 'w', queries: { x: 'x' }, target: ['job'], step: '1m', history: '3h', lag: 0, probation: 60 }],
});

const summary = (anomalies: Anomaly[]) =>
  anomalies
    .map(({ target, start, end, peakScore, severity, state }) => ({ target, start, end, peakScore, severity, state }))
    .sort((a, b) => a.target.localeCompare(b.target) || a.start - b.start);

/**
 * Replays the history, catches up after an outage and runs `cycles` more cycles; returns what was
 * asked, the anomalies and the stored states. With `stopAt`, the backend is stopped (as on SIGTERM)
 * while its replay waits for that answer, and a new one on the same store goes on from there.
 */
async function run(pipeline: Record<string, unknown>, cycles: number, stopAt?: number) {
  const asked: RangeQuery[] = [];
  const clock = new TestClock(NOW);
  const answers = recordingQuerier(asked);
  let dataDir: string | undefined;
  if (stopAt !== undefined) {
    let stopping: Promise<void> | undefined;
    const stopped = buildPipeline(config(pipeline), clock, {
      extra: {
        querierFor: () => ({
          queryRange: (q) => {
            stopping ??= asked.length + 1 === stopAt ? stopped.pipeline.stop() : undefined;
            return answers.queryRange(q);
          },
        }),
      },
    });
    await stopped.pipeline.runOnce();
    await stopping;
    // The answer in flight was scored and stored; nothing more was asked.
    expect(asked.length).toBe(stopAt);
    stopped.store.close();
    dataDir = stopped.dataDir;
  }
  const h = buildPipeline(config(pipeline), clock, { dataDir, extra: { querierFor: () => answers } });
  let db: Database.Database | undefined;
  try {
    await h.pipeline.runOnce();
    clock.advance(OUTAGE);
    for (let c = 0; c <= cycles; c++) {
      await h.pipeline.runOnce();
      clock.advance(MINUTE);
    }
    expect(h.pipeline.watches()[0].degraded).toBe(false);
    const anomalies = summary(await h.pipeline.anomalies({}));
    await h.close();
    db = new Database(join(h.dataDir, DATABASE_FILE));
    const repo = new SqlitePipelineRepository(db, clock.now);
    const states = Object.fromEntries(
      (await repo.loadTargets('w')).map((t) => [t.id, JSON.stringify(t.state, replaceNaN)])
    );
    return { asked, anomalies, states, resume: await repo.lastProcessed('w') };
  } finally {
    db?.close();
    rmSync(h.dataDir, { recursive: true, force: true });
  }
}

const stepsOf = (asked: RangeQuery[]) => asked.map((q) => (q.end - q.start) / MINUTE + 1);

describe('catch-up in answers sized by the series (issue 16)', () => {
  it('reads a replay and a catch-up in answers of at most maxPointsPerAnswer points, and scores them as whole chunks', async () => {
    const small = await run({ maxPointsPerAnswer: 400 }, 3);
    const whole = await run({}, 3);

    // History: 181 steps, then 30 missed. With 40 series and 400 points an answer covers at most
    // 10 steps: one step first (the series are not known yet), then 2, 4, 8, then 10 at a time.
    const steps = stepsOf(small.asked);
    expect(steps.slice(0, 5)).toEqual([1, 2, 4, 8, 10]);
    expect(steps.slice(-6)).toEqual([10, 10, 10, 1, 1, 1]);
    expect(Math.max(...steps) * TARGETS).toBeLessThanOrEqual(400);
    // Every step read once, in order.
    expect(small.asked[0].start).toBe(NOW - 180 * MINUTE);
    for (let i = 1; i < small.asked.length; i++) {
      expect(small.asked[i].start).toBe(small.asked[i - 1].end + MINUTE);
    }
    // By default the budget does not bind here: the answers only double, from one step.
    expect(stepsOf(whole.asked)).toEqual([1, 2, 4, 8, 16, 32, 64, 54, 30, 1, 1, 1]);

    // The same anomaly, the same stored states and resume point, however the steps were read.
    expect(small.anomalies.some((a) => a.target === 'w{job="j07"}' && a.start >= SPIKE)).toBe(true);
    expect(small.anomalies).toEqual(whole.anomalies);
    expect(small.states).toEqual(whole.states);
    expect(small.resume).toBe(whole.resume);
  });

  it('ends a replay that a stop interrupts after the answer in flight, and a restart resumes it to the same end', async () => {
    // Without it, SIGTERM (or Ctrl-C) during a long first replay waited for all of it, its API already closed.
    const interrupted = await run({ maxPointsPerAnswer: 400 }, 3, 5);
    const whole = await run({ maxPointsPerAnswer: 400 }, 3);
    // The restart asks for the steps after the last stored answer, once each.
    expect(interrupted.asked[5].start).toBe(interrupted.asked[4].end + MINUTE);
    expect(interrupted.anomalies).toEqual(whole.anomalies);
    expect(interrupted.states).toEqual(whole.states);
    expect(interrupted.resume).toBe(whole.resume);
  });
});
