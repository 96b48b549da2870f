import { Registry } from 'prom-client';
import { PipelineMetrics } from './metrics';

/** The targets that have a failureprophet_anomaly_score series in the registry's exposition. */
async function scoredTargets(registry: Registry): Promise<string[]> {
  const text = await registry.metrics();
  return [...text.matchAll(/^failureprophet_anomaly_score\{watch="w",target="([^"]+)"\}/gm)].map((m) => m[1]).sort();
}

describe('per-target metrics within pipeline.maxTargetSeries', () => {
  it('admits targets up to the cap, lets an important one replace a quiet one, and frees the place of a forgotten one', async () => {
    const registry = new Registry();
    const metrics = new PipelineMetrics(registry, 2);
    const publish = (target: string, important: boolean) => {
      const admitted = metrics.admit('w', target, important, ['x']);
      if (admitted) {
        metrics.score.set({ watch: 'w', target }, 0.1);
        metrics.timeToFailure.set({ watch: 'w', target, signal: 'x' }, 60);
      }
      return admitted;
    };
    expect(publish('a', false)).toBe(true);
    expect(publish('b', true)).toBe(true);
    expect(publish('c', false)).toBe(false);
    expect(await scoredTargets(registry)).toEqual(['a', 'b']);

    // c now has an open anomaly: it takes quiet a's place, whose series (all of them) go.
    expect(publish('c', true)).toBe(true);
    expect(await scoredTargets(registry)).toEqual(['b', 'c']);
    expect(await registry.metrics()).not.toMatch(/target="a"/);
    // Both exported targets are important: a newcomer, even an important one, waits.
    expect(publish('d', true)).toBe(false);
    // A target already exported stays, whatever its state.
    expect(publish('b', false)).toBe(true);
    expect(publish('d', true)).toBe(true);
    expect(await scoredTargets(registry)).toEqual(['c', 'd']);

    metrics.forget('w', 'c', ['x']);
    expect(publish('e', false)).toBe(true);
    expect(await scoredTargets(registry)).toEqual(['d', 'e']);
  });
});
