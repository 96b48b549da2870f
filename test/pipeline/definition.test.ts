import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RangeQuerier } from '../../src/server/pipeline/watchRunner';
import type { RangeQuery } from '../../src/server/prometheus/client';
import { openSqliteStore } from '../../src/server/store/sqlite';
import { buildPipeline, TestClock } from './helpers';

const NOW = Date.UTC(2025, 2, 3, 12);
const MINUTE = 60_000;

/** One series, job="a", a value every step: enough for a watch to learn and resume. */
function recordingQuerier() {
  const queries: RangeQuery[] = [];
  const querier: RangeQuerier = {
    queryRange: async (q) => {
      queries.push(q);
      const n = (q.end - q.start) / q.stepMs + 1;
      const timestamps = Float64Array.from({ length: n }, (_, i) => q.start + i * q.stepMs);
      return [{ labels: { job: 'a' }, timestamps, values: timestamps.map((t) => 10 + ((t / MINUTE) % 3)) }];
    },
  };
  return { querier, queries };
}

/** The range a cycle's queries covered (a new watch's history is read in answers that grow from one step). */
const covered = (queries: RangeQuery[]) => ({ start: queries[0].start, end: queries[queries.length - 1].end });

function watch(extra: Record<string, unknown> = {}) {
  return { name: 'w', queries: { x: 'x' }, target: ['job'], step: '1m', history: '1h', lag: 0, ...extra };
}

describe('a watch whose definition changed while the backend was stopped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-definition-'));
  const clock = new TestClock(NOW);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts a backend on the same data directory, runs one cycle, stops it; returns the queries it made. */
  async function runBackend(definition: Record<string, unknown>) {
    const source = recordingQuerier();
    const { pipeline, close } = buildPipeline({ watches: [definition] }, clock, {
      dataDir: dir,
      extra: { querierFor: () => source.querier },
    });
    await pipeline.runOnce();
    const targets = await pipeline.repo.loadTargets('w');
    const models = await pipeline.repo.models({ watch: 'w' });
    const lastProcessed = await pipeline.repo.lastProcessed('w');
    await close();
    return { queries: source.queries, targets, models, lastProcessed };
  }

  it('resumes where it stopped when the definition is the same', async () => {
    const first = await runBackend(watch());
    expect(covered(first.queries)).toEqual({ start: NOW - 60 * MINUTE, end: NOW });

    clock.advance(10 * MINUTE);
    const second = await runBackend(watch());
    expect(second.queries).toEqual([expect.objectContaining({ start: NOW + MINUTE, end: NOW + 10 * MINUTE })]);
    expect(second.targets[0].state.samples).toBe(71);
    expect(second.models).toHaveLength(1);
  });

  it('replays its history with fresh models under the new definition, keeping the record of the old', async () => {
    clock.advance(10 * MINUTE);
    const changed = await runBackend(watch({ limits: { x: { above: 100 } } }));
    const end = NOW + 20 * MINUTE;
    expect(covered(changed.queries)).toEqual({ start: end - 60 * MINUTE, end });
    expect(changed.lastProcessed).toBe(end);
    // The restored state would still carry the old signal without its limit.
    expect(changed.targets[0].state.signals[0].spec.limits).toEqual({ above: 100 });
    expect(changed.targets[0].state.samples).toBe(61);
    expect(changed.models.map((m) => m.version).sort()).toEqual([1, 2]);
  });

  it('takes state stored before definitions were kept as learned under the current one', async () => {
    const store = openSqliteStore(dir);
    store.db.prepare('UPDATE pipeline_watches SET definition = NULL').run();
    store.close();

    clock.advance(5 * MINUTE);
    const resumed = await runBackend(watch({ step: '1m', limits: { x: { above: 200 } } }));
    expect(resumed.queries).toEqual([expect.objectContaining({ start: NOW + 21 * MINUTE, end: NOW + 25 * MINUTE })]);

    // Now recorded: the next change is seen.
    clock.advance(5 * MINUTE);
    const replayed = await runBackend(watch());
    expect(replayed.queries[0]).toMatchObject({ start: NOW - 30 * MINUTE });
  });
});
