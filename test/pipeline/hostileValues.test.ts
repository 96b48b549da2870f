import { targetsResponseSchema } from '../../src/contract/pipeline';
import { pipelineRoutes } from '../../src/server/http/routes/pipeline';
import { AUTH, injectingApp } from '../harness/server';
import { sampledQuerier, spikingWatchConfig } from '../harness/spikingFleet';
import { buildPipeline, MINUTE, TestClock } from './helpers';

// Whoever runs a scraped target chooses its values: any float64 is a valid sample. A z-score
// detector squares them, so one sample of 1e200 overflowed its state and every later score of that
// target was NaN; kept as such, it broke what the other targets share. Later kept as 1, it alarmed
// for ever; now the detector computes around the overflow.
const NOW = Date.UTC(2025, 3, 7, 12);
const FIRST = NOW - 300 * MINUTE;
const HOSTILE: Record<string, (step: number) => number> = {
  once: (i) => (i === 250 ? 1e200 : 50 + (i % 5)),
  ramp: (i) => i * 1e305,
  // A real fault on a target nobody tampered with: it must still be recorded.
  ok: (i) => 50 + (i % 5) + (i > 310 ? 500 : 0),
};
const querier = sampledQuerier(
  Object.entries(HOSTILE).map(([job, value]) => ({
    labels: { job },
    value: (t: number) => value((t - FIRST) / MINUTE),
  }))
);
// ramp crosses this limit: an anomaly opens on it (with the NaN peak, the store refused the cycle).
const config = { watches: [{ ...spikingWatchConfig.watches[0], limits: { x: 1e300 } }] };

it("a scraped target's overflowing values stop neither its watch nor the target list", async () => {
  const clock = new TestClock(NOW);
  const h = buildPipeline(config, clock, { extra: { querierFor: () => querier } });
  const app = await injectingApp(h, [pipelineRoutes(h.pipeline)]);
  try {
    for (let c = 0; c < 20; c++) {
      await h.pipeline.runOnce();
      expect(h.pipeline.watches()[0].lastError).toBeNull();
      clock.advance(MINUTE);
    }
    const listed = await app.inject({ url: '/api/targets', headers: AUTH });
    expect(listed.statusCode).toBe(200);
    const { targets } = targetsResponseSchema.parse(listed.json());
    // Scores that can be stored and sent, computed without overflow: 'once' has recovered since its
    // spike left the z-score's window (it was stuck at NaN, kept as 1, for ever), and a steady ramp of
    // huge values is no alarm.
    const scores = Object.fromEntries(targets.map((t) => [t.id, t.score]));
    for (const job of ['once', 'ramp']) {
      expect(scores[`w{job="${job}"}`]).toBeGreaterThanOrEqual(0);
      expect(scores[`w{job="${job}"}`]).toBeLessThan(0.5);
    }
    const detail = await app.inject({ url: `/api/targets/${encodeURIComponent('w{job="once"}')}`, headers: AUTH });
    expect(detail.statusCode).toBe(200);
    const faults = (await h.pipeline.anomalies({})).filter((a) => a.target === 'w{job="ok"}');
    expect(faults).toEqual([expect.objectContaining({ start: FIRST + 311 * MINUTE })]);
  } finally {
    await app.close();
    await h.close(true);
  }
});
