import { Registry } from 'prom-client';
import { configSchema } from '../config/schema';
import type { RangeSeries } from '../prometheus/types';
import { WatchScoring } from './chunkScoring';
import { SLICE_MS } from './loopTurns';
import { PipelineMetrics } from './metrics';
import { PeerGroups } from './peerGroups';
import type { RangeQuerier } from './query';
import type { TargetModel } from './targetModel';
import { testSettings } from './testTargets';

const STEP = 60_000;
const TARGETS = 300;
const STEPS = 3;

const watch = configSchema.parse({
  prometheus: { url: 'http://prometheus:9090' },
  watches: [{ name: 'w', queries: { load: 'load' }, target: ['instance'], step: '1m' }],
}).watches![0];

/** Every target has every sample: scrape health is never asked. */
const answer = (): Map<string, RangeSeries[]> =>
  new Map([
    [
      'load',
      Array.from({ length: TARGETS }, (_, i) => ({
        labels: { instance: `i-${i}` },
        timestamps: Float64Array.from({ length: STEPS }, (_, s) => s * STEP),
        values: Float64Array.from({ length: STEPS }, (_, s) => i + s),
      })),
    ],
  ]);

function scoring(elapsed: () => number) {
  const targets = new Map<string, TargetModel>();
  const metrics = new PipelineMetrics(new Registry());
  const querier: RangeQuerier = {
    queryRange: () => Promise.reject(new Error('scrape health is not asked when every target has its samples')),
  };
  const scoring = new WatchScoring({
    watch,
    querier,
    metrics,
    targets,
    settings: testSettings({}),
    baseThreshold: 3,
    peers: new PeerGroups(watch.peers, Object.keys(watch.queries)),
    clock: { elapsed },
  });
  return { scoring, targets };
}

/** Steps taken by all targets so far. */
const stepsTaken = (targets: Map<string, TargetModel>) =>
  [...targets.values()].reduce((n, t) => n + (t.lastAt >= 0 ? Math.round(t.lastAt / STEP) + 1 : 0), 0);

describe('WatchScoring gives the event loop turns in a long run', () => {
  it('lets what waits run while it scores, once a slice of its clock is spent, and scores the same', async () => {
    // A clock that moves half a slice at each look: a turn every other look.
    let ms = 0;
    const moving = scoring(() => (ms += SLICE_MS / 2));
    const seen: number[] = [];
    let watching = true;
    const look = () => {
      seen.push(stepsTaken(moving.targets));
      if (watching) {
        setImmediate(look);
      }
    };
    setImmediate(look);
    const changed = await moving.scoring.score(answer(), 0, (STEPS - 1) * STEP);
    watching = false;
    expect(changed).toHaveLength(TARGETS);
    // Turns were taken in the middle of the run: some looks saw part of the steps done.
    const partial = seen.filter((n) => n > 0 && n < TARGETS * STEPS);
    expect(partial.length).toBeGreaterThanOrEqual(2);

    // A clock that stands still gives no turn, and the targets end where the moving clock's did.
    const still = scoring(() => 0);
    let ran = false;
    setImmediate(() => (ran = true));
    await still.scoring.score(answer(), 0, (STEPS - 1) * STEP);
    expect(ran).toBe(false);
    for (const [id, t] of moving.targets) {
      expect(still.targets.get(id)!.toState()).toEqual(t.toState());
    }
  });
});
