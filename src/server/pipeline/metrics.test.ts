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
      const admitted = metrics.admit('w', target, important);
      if (admitted) {
        metrics.publish(admitted, 0.1, 0, 1);
        metrics.publishTimeToFailure(admitted, 'x', 60);
      }
      return admitted !== undefined;
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

    metrics.forget('w', 'c');
    expect(publish('e', false)).toBe(true);
    expect(await scoredTargets(registry)).toEqual(['d', 'e']);
  });

  it('sets a gauge again only when its value changed, and drops a time to failure once it is gone', async () => {
    const registry = new Registry();
    const metrics = new PipelineMetrics(registry);
    const value = async (name: string) => (await registry.getSingleMetric(name)!.get()).values.map((v) => v.value);
    const t = metrics.admit('w', 't', false);
    expect(t).toBeDefined();
    metrics.publish(t!, 0.2, 0, 0.5);
    metrics.publishTimeToFailure(t!, 'mem', 3600);
    // Series set elsewhere are not this target's to keep: an unchanged value leaves them alone.
    metrics.anomaliesOpen.set({ watch: 'w', target: 't' }, 7);
    metrics.publish(t!, 0.3, 0, 1);
    expect(await value('failureprophet_anomaly_score')).toEqual([0.3]);
    expect(await value('failureprophet_anomalies_open')).toEqual([7]);
    expect(await value('failureprophet_learning_progress')).toEqual([1]);
    metrics.publish(t!, 0.9, 1, 1);
    expect(await value('failureprophet_anomalies_open')).toEqual([1]);

    metrics.publishTimeToFailure(t!, 'mem', undefined);
    expect(await value('failureprophet_time_to_failure_seconds')).toEqual([]);
    metrics.publishTimeToFailure(t!, 'mem', 60);
    metrics.forget('w', 't');
    expect(await registry.metrics()).not.toMatch(/target="t"/);
    // Forgotten, it starts afresh: every series is set again, not skipped as unchanged.
    const again = metrics.admit('w', 't', false);
    expect(again).toBeDefined();
    metrics.publish(again!, 0.9, 1, 1);
    expect(await value('failureprophet_anomalies_open')).toEqual([1]);
    expect(await value('failureprophet_learning_progress')).toEqual([1]);
  });
});
