import pino from 'pino';
import { buildPipeline, MINUTE, TestClock, type Harness } from './helpers';
import { matrixBody, samples, scriptedPrometheus, type Asked, type ScriptedPrometheus } from './loop38Prometheus';

// Series that do not map one to one onto targets, through the running loop over real HTTP: several
// series of one query for a target (its containers), a query that aggregated the target label away,
// and a series whose other labels change mid-history.

const NOW = Date.UTC(2025, 3, 7, 12);
const podWatch = {
  name: 'w',
  queries: { x: 'x' },
  target: ['pod'],
  step: '1m',
  history: '3h',
  lag: 0,
  probation: 30,
  detector: 'zscore',
};

const runs: Array<{ h: Harness; prom: ScriptedPrometheus }> = [];
afterEach(async () => {
  for (const { h, prom } of runs.splice(0)) {
    await h.close(true);
    await prom.close();
  }
});

async function run(answer: (asked: Asked) => string, cycles: number) {
  const prom = await scriptedPrometheus((asked) => ({ body: answer(asked) }));
  const clock = new TestClock(NOW);
  const warnings: string[] = [];
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => void warnings.push((JSON.parse(line) as { msg: string }).msg) }
  );
  const h = buildPipeline({ prometheus: { url: prom.url }, watches: [podWatch] }, clock, { extra: { logger } });
  runs.push({ h, prom });
  for (let c = 0; c < cycles; c++) {
    await h.pipeline.runOnce();
    clock.advance(MINUTE);
  }
  return { h, warnings };
}

const wave = (t: number) => Math.sin(t / (5 * MINUTE));

it("a container's series missing for a step leaves its signal without a sample: another container's values never feed it", async () => {
  // Pod p's containers: app near 10, sidecar near 1000. One scrape of app fails, five steps in.
  const gap = NOW + 5 * MINUTE;
  const { h } = await run(
    (asked) =>
      matrixBody(
        [
          {
            metric: { pod: 'p', container: 'app' },
            values: samples(asked, (t) => (t === gap ? undefined : 10 + wave(t))),
          },
          { metric: { pod: 'p', container: 'sidecar' }, values: samples(asked, (t) => 1000 + wave(t)) },
        ].filter((s) => s.values.length > 0)
      ),
    10
  );
  // It was read as the sidecar's 1000 against app's band of 10: a false anomaly, high.
  expect(await h.pipeline.anomalies({})).toEqual([]);
  const [pod] = h.pipeline.targets();
  expect(pod.signals.map((s) => s.name)).toEqual(['x', 'x{container="sidecar"}']);
  expect(h.pipeline.watches()[0]).toEqual(
    expect.objectContaining({ degraded: false, lastProcessedAt: NOW + 9 * MINUTE })
  );
});

it('a query that aggregated the target label away is told in the log, naming the label: already so', async () => {
  const { h, warnings } = await run(
    (asked) =>
      matrixBody(
        ['10.0.0.1:9100', '10.0.0.2:9100'].map((instance, k) => ({
          metric: { instance },
          values: samples(asked, (t) => 10 * (k + 1) + wave(t)),
        }))
      ),
    2
  );
  expect(warnings).toContainEqual(
    expect.stringContaining(
      'no series has the target label "pod", so it does not tell targets apart (is it misspelt in the watch\'s target, or aggregated away by its queries?)'
    )
  );
  // Its series are still scored, each its own signal of the one target.
  const [target] = h.pipeline.targets();
  expect(target.id).toBe('w{pod=""}');
  expect(target.signals.map((s) => s.name)).toEqual(['x', 'x{instance="10.0.0.2:9100"}']);
});

it('a series whose other labels change mid-history (a new instance address) keeps its target scored, with no anomaly: already so', async () => {
  const moved = NOW - 90 * MINUTE;
  const { h } = await run(
    (asked) =>
      matrixBody(
        ['10.0.0.1:9100', '10.0.0.9:9100']
          .map((instance, k) => ({
            metric: { pod: 'p', instance },
            values: samples(asked, (t) => (t < moved === (k === 0) ? 50 + wave(t) : undefined)),
          }))
          .filter((s) => s.values.length > 0)
      ),
    5
  );
  expect(await h.pipeline.anomalies({})).toEqual([]);
  const [target] = h.pipeline.targets();
  expect(target).toEqual(expect.objectContaining({ id: 'w{pod="p"}', lastScoredAt: NOW + 4 * MINUTE }));
  expect(target.signals.map((s) => s.lastSampleAt)).toContain(NOW + 4 * MINUTE);
});
