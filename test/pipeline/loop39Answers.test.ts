import { watchesResponseSchema } from '../../src/contract/pipeline';
import { HOUR, MINUTE } from './helpers';
import {
  fleetSeries,
  matrixBody,
  SCRIPTED_JOBS as JOBS,
  SCRIPTED_NOW as NOW,
  SCRIPTED_WATCH,
  scriptedRuns,
  stepsAnswered,
  everyStep,
  watchStatus as status,
} from './loop38Prometheus';

// Answers Prometheus (or what stands in front of it) gives through the running loop over real HTTP:
// samples off the steps asked, and partial answers' warnings. Prometheus evaluates query_range at
// start + k × step only (promql's range evaluation loop); its envelope carries `warnings` and `infos`
// beside the data (web/api/v1/json_codec.go).

const start = scriptedRuns();

describe('a range answer with samples off the step grid', () => {
  it.each<[string, (values: Array<[number, string]>) => Array<[number, string]>, string]>([
    // A proxy or store that writes the scrape's own times instead of the steps'.
    ['every sample half a step late', (values) => values.map(([t, v]) => [t + 30, v]), 'result.1.values.0.0'],
    // One sample a millisecond off: Prometheus writes times in milliseconds, so this one is readable as such.
    [
      'one sample a millisecond off',
      (values) => values.map(([t, v], i) => [i === 2 ? t + 0.001 : t, v]),
      'result.1.values.2.0',
    ],
  ])(
    '%s: the answer is refused, naming the series and why; once answered right, every step missed is scored',
    async (_how, spoil, where) => {
      let spoiled = false;
      const { prom, h, clock } = await start((asked) => {
        const result = fleetSeries(asked);
        if (spoiled) {
          result[1].values = spoil(result[1].values);
        }
        return { body: matrixBody(result) };
      });
      await h.pipeline.runOnce();
      expect(status(h).degraded).toBe(false);

      spoiled = true;
      clock.advance(3 * MINUTE);
      const spoiledFrom = prom.asked.length;
      await h.pipeline.runOnce();
      const { degraded, lastError, lastProcessedAt } = status(h);
      expect({ degraded, kind: lastError?.kind, lastProcessedAt }).toEqual({
        degraded: true,
        kind: 'malformed',
        lastProcessedAt: NOW,
      });
      expect(lastError?.message).toMatch(
        new RegExp(
          `^query "x" failed: Prometheus answered query_range with a sample off the step grid at ${where.replace(/\./g, '\\.')}: [0-9.]+ is not ${(NOW + MINUTE) / 1000} plus a whole number of 60 s steps, where Prometheus evaluates a range query \\(series \\{job="j1"\\}\\)$`
        )
      );
      // No target scored a step of the refused answer, spoiled or not.
      expect(h.pipeline.targets().map((t) => t.lastScoredAt)).toEqual(JOBS.map(() => NOW));

      spoiled = false;
      clock.advance(MINUTE);
      await h.pipeline.runOnce();
      expect(status(h)).toEqual(expect.objectContaining({ degraded: false, lastProcessedAt: NOW + 4 * MINUTE }));
      expect(stepsAnswered(prom.asked, (a) => a.n !== spoiledFrom)).toEqual(everyStep(NOW - HOUR, NOW + 4 * MINUTE));
      for (const target of h.pipeline.targets()) {
        expect(target.lastScoredAt).toBe(NOW + 4 * MINUTE);
      }
    }
  );

  it('samples on the step grid but outside the range asked still change nothing (no step of the answer is one): already so', async () => {
    const { h } = await start((asked) => {
      const result = fleetSeries(asked);
      result[0].values = [[(asked.start - 60 * MINUTE) / 1000, '1e300'], ...result[0].values];
      return { body: matrixBody(result) };
    });
    await h.pipeline.runOnce();
    expect(status(h)).toEqual(expect.objectContaining({ degraded: false, lastError: null, lastProcessedAt: NOW }));
  });
});

describe("an answer's warnings on the watch's status", () => {
  const PARTIAL = 'partial response: store 10.0.0.7:10901 unavailable';
  const INFO = 'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "x"';

  it('the newest shows while answers warn and goes with the first that does not; the watch is not degraded', async () => {
    let notes: Record<string, string[]> = {};
    const { h, clock } = await start((asked) => ({ body: matrixBody(fleetSeries(asked), notes) }));
    await h.pipeline.runOnce();
    expect(status(h)).not.toHaveProperty('warning');

    notes = { warnings: [PARTIAL] };
    clock.advance(MINUTE);
    await h.pipeline.runOnce();
    expect(status(h)).toEqual(
      expect.objectContaining({
        degraded: false,
        lastError: null,
        lastProcessedAt: NOW + MINUTE,
        warning: { query: 'x', message: PARTIAL, at: NOW + MINUTE },
      })
    );

    notes = { warnings: [PARTIAL], infos: [INFO] };
    clock.advance(MINUTE);
    await h.pipeline.runOnce();
    expect(status(h).warning).toEqual({ query: 'x', message: `${PARTIAL}; ${INFO}`, at: NOW + 2 * MINUTE });
    // As the API serves it and the app reads it.
    expect(watchesResponseSchema.parse({ watches: h.pipeline.watches() }).watches[0].warning).toEqual(
      status(h).warning
    );

    notes = {};
    clock.advance(MINUTE);
    await h.pipeline.runOnce();
    expect(status(h)).not.toHaveProperty('warning');
    expect(status(h).degraded).toBe(false);
  });

  it("of a watch's queries, the one warned of last shows; when it stops warning, another still warning does", async () => {
    const warned: Record<string, string[]> = { cpu: [], mem: [] };
    const { h, clock } = await start(
      (asked) => ({
        body: matrixBody(fleetSeries(asked), { warnings: warned[asked.query] }),
      }),
      { watch: { ...SCRIPTED_WATCH, queries: { cpu: 'cpu', mem: 'mem' } } }
    );
    warned.mem = ['mem: partial response'];
    await h.pipeline.runOnce();
    expect(status(h).warning).toEqual({ query: 'mem', message: 'mem: partial response', at: NOW });

    warned.cpu = ['cpu: partial response'];
    clock.advance(MINUTE);
    await h.pipeline.runOnce();
    expect(status(h).warning).toEqual({ query: 'cpu', message: 'cpu: partial response', at: NOW + MINUTE });

    warned.cpu = [];
    clock.advance(MINUTE);
    await h.pipeline.runOnce();
    expect(status(h).warning).toEqual({ query: 'mem', message: 'mem: partial response', at: NOW + 2 * MINUTE });
  });
});
