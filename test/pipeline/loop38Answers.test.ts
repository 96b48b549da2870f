import { HOUR, MINUTE, buildPipeline } from './helpers';
import {
  fleetSeries,
  HISTOGRAM,
  jobLevel as level,
  matrixBody,
  samples,
  SCRIPTED_JOBS as JOBS,
  SCRIPTED_NOW as NOW,
  SCRIPTED_WATCH as watch,
  scriptedRuns,
  stepsAnswered,
  type Answer,
  everyStep,
  watchStatus as status,
  type Asked,
} from './loop38Prometheus';

// Bad answers from Prometheus (or whatever stands in front of it) through the running loop, over
// real HTTP: each gets a clear error or is read as what it is, and the loop goes on from where it
// stopped, losing no step. Answers Prometheus writes are checked against its source
// (web/api/v1/json_codec.go, the HTTP API's envelope with `warnings` and `infos`).

const start = scriptedRuns();

/** Prometheus' `up` of every job, 1 at every step asked. */
const upAnswer = (asked: Asked): string =>
  matrixBody(JOBS.map((job) => ({ metric: { job }, values: samples(asked, () => 1) })));

/** The answer Prometheus gives: every job at every step asked. */
const fleetAnswer = (asked: Asked, jobs = JOBS): string => matrixBody(fleetSeries(asked, jobs));

describe('a range answer whose times do not increase', () => {
  it.each([
    ['out of order', (values: Array<[number, string]>) => [...values].reverse(), 'result.1.values.1.0'],
    ['repeated', (values: Array<[number, string]>) => values.flatMap((v) => [v, v]), 'result.1.values.1.0'],
  ])(
    'samples %s are refused, naming where; once answered right, every step missed is scored',
    async (_how, spoil, where) => {
      let spoiled = false;
      const { prom, h, clock } = await start((asked) => {
        if (!spoiled) {
          return { body: fleetAnswer(asked) };
        }
        const result = JOBS.map((job, k) => {
          const values = samples(asked, (t) => level(k, t));
          return { metric: { job }, values: k === 1 ? spoil(values) : values };
        });
        return { body: matrixBody(result) };
      });
      await h.pipeline.runOnce();
      expect(status(h).degraded).toBe(false);

      // Three steps later, one series' samples come spoiled: the answer is refused, not misread.
      spoiled = true;
      clock.advance(3 * MINUTE);
      const spoiledFrom = prom.asked.length;
      await h.pipeline.runOnce();
      expect(status(h)).toEqual(
        expect.objectContaining({
          degraded: true,
          lastError: expect.objectContaining({
            kind: 'malformed',
            message: expect.stringContaining(`Prometheus answered query_range with a time out of order at ${where}:`),
          }),
          lastProcessedAt: NOW,
        })
      );

      spoiled = false;
      clock.advance(MINUTE);
      await h.pipeline.runOnce();
      expect(status(h)).toEqual(expect.objectContaining({ degraded: false, lastProcessedAt: NOW + 4 * MINUTE }));
      const good = (a: Asked) => a.n < spoiledFrom || a.n > spoiledFrom;
      expect(stepsAnswered(prom.asked, good)).toEqual(everyStep(NOW - HOUR, NOW + 4 * MINUTE));
      for (const target of h.pipeline.targets()) {
        expect(target.lastScoredAt).toBe(NOW + 4 * MINUTE);
      }
    }
  );

  it('a sample far in the future changes nothing (no step of the answer is it): already so', async () => {
    const plainRun = await start((asked) => ({ body: fleetAnswer(asked) }));
    const futureRun = await start((asked) => {
      const result = JOBS.map((job, k) => ({
        metric: { job },
        values: [...samples(asked, (t) => level(k, t)), [asked.end / 1000 + 365 * 86_400, '1e300'] as [number, string]],
      }));
      return { body: matrixBody(result) };
    });
    for (const run of [plainRun, futureRun]) {
      for (let c = 0; c < 3; c++) {
        await run.h.pipeline.runOnce();
        run.clock.advance(MINUTE);
      }
    }
    expect(status(futureRun.h).degraded).toBe(false);
    expect(futureRun.h.pipeline.targets()).toEqual(plainRun.h.pipeline.targets());
  });
});

describe('native histograms (Prometheus 2.40+ writes them under `histograms`)', () => {
  it('a query that answers only histograms says so, instead of "the query returned nothing"', async () => {
    const { h } = await start((asked) => ({
      body: matrixBody(
        JOBS.map((job) => ({ metric: { job }, histograms: samples(asked, () => 0).map(([t]) => [t, HISTOGRAM]) }))
      ),
    }));
    await h.pipeline.runOnce();
    expect(status(h)).toEqual(
      expect.objectContaining({
        degraded: true,
        lastError: expect.objectContaining({
          kind: 'query',
          message:
            'query "x" failed: the query answered native histograms (3 series), which are not scored: ask for numbers, e.g. histogram_quantile(0.9, …), histogram_count(…) or histogram_sum(…)',
        }),
      })
    );
  });

  it('the float series of an answer with histograms are scored, and the histograms are warned of once', async () => {
    const { h, clock, warnings } = await start((asked) => ({
      // `up` (asked once j0 lacks samples: vanished.ts) says every job is scraped.
      body: asked.query.includes('(up)')
        ? upAnswer(asked)
        : matrixBody([
            // A series that turned into a native histogram halfway: its floats, then its histograms.
            {
              metric: { job: 'j0' },
              values: samples(asked, (t) => (t < NOW - HOUR / 2 ? level(0, t) : undefined)),
              histograms: samples(asked, (t) => (t >= NOW - HOUR / 2 ? 0 : undefined)).map(([t]) => [t, HISTOGRAM]),
            },
            ...['j1', 'j2'].map((job, k) => ({ metric: { job }, values: samples(asked, (t) => level(k + 1, t)) })),
          ]),
    }));
    for (let c = 0; c < 4; c++) {
      await h.pipeline.runOnce();
      clock.advance(MINUTE);
    }
    expect(status(h).degraded).toBe(false);
    const scored = Object.fromEntries(h.pipeline.targets().map((t) => [t.labels.job, t.lastScoredAt]));
    expect(scored).toEqual({ j0: NOW - HOUR / 2 - MINUTE, j1: NOW + 3 * MINUTE, j2: NOW + 3 * MINUTE });
    expect(warnings.filter((w) => w.includes('native histogram'))).toEqual([
      'watch w: the answer to x warns: 1 series answered native histogram samples, which are not scored (their float samples are)',
    ]);
  });
});

it("an answer's warnings and infos are logged when they appear or change, not at every answer, and its series are scored", async () => {
  let notes: Record<string, string[]> = {};
  const { h, clock, warnings } = await start((asked) => ({
    body: matrixBody(
      JOBS.map((job, k) => ({ metric: { job }, values: samples(asked, (t) => level(k, t)) })),
      notes
    ),
  }));
  const cycles = async (n: number) => {
    for (let c = 0; c < n; c++) {
      clock.advance(MINUTE);
      await h.pipeline.runOnce();
    }
  };
  notes = { warnings: ['partial response: store 10.0.0.7:10901 unavailable'] };
  await h.pipeline.runOnce();
  await cycles(2);
  notes = {
    warnings: ['partial response: store 10.0.0.7:10901 unavailable'],
    infos: ['PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "x"'],
  };
  await cycles(2);
  notes = {};
  await cycles(1);
  notes = { warnings: ['partial response: store 10.0.0.7:10901 unavailable'] };
  await cycles(1);
  expect(warnings).toEqual([
    'watch w: the answer to x warns: partial response: store 10.0.0.7:10901 unavailable',
    'watch w: the answer to x warns: partial response: store 10.0.0.7:10901 unavailable; PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "x"',
    'watch w: the answer to x warns: partial response: store 10.0.0.7:10901 unavailable',
  ]);
  expect(status(h).degraded).toBe(false);
  expect(h.pipeline.targets().map((t) => t.lastScoredAt)).toEqual(JOBS.map(() => NOW + 6 * MINUTE));
});

it('a watch behind whose targets multiplied meanwhile reads shorter answers when one outgrows the size limit, and catches up', async () => {
  let jobs = JOBS;
  const bytes: number[] = [];
  const { prom, h, clock } = await start(
    (asked) => {
      const body = fleetAnswer(asked, jobs);
      bytes.push(body.length);
      return { body };
    },
    { prometheus: { maxResponseBytes: 64 * 1024 } }
  );
  await h.pipeline.runOnce();
  // Three hours down, while its three targets became 300.
  jobs = Array.from({ length: 300 }, (_, k) => `j${k}`);
  clock.advance(3 * HOUR);
  const resumed = prom.asked.length;
  await h.pipeline.runOnce();
  expect(status(h)).toEqual(
    expect.objectContaining({ degraded: false, lastError: null, targets: 300, lastProcessedAt: NOW + 3 * HOUR })
  );
  // Each refused answer was asked again with half the steps, and answers grew no more after.
  const steps = prom.asked.slice(resumed).map((a) => (a.end - a.start) / a.step + 1);
  expect(steps.slice(0, 6)).toEqual([60, 30, 15, 7, 3, 3]);
  expect(bytes.slice(resumed).filter((n) => n > 64 * 1024)).toHaveLength(4);
});

it('10,000 new targets in one answer are all taken up in that cycle: already so', async () => {
  let jobs = JOBS;
  const { h, clock } = await start((asked) => ({ body: fleetAnswer(asked, jobs) }));
  await h.pipeline.runOnce();
  jobs = Array.from({ length: 10_000 }, (_, k) => `j${k}`);
  clock.advance(MINUTE);
  await h.pipeline.runOnce();
  expect(status(h)).toEqual(
    expect.objectContaining({ degraded: false, targets: 10_000, series: 10_000, lastProcessedAt: NOW + MINUTE })
  );
});

describe('an answer that is an error: a clear one, the loop going on from where it stopped (already so)', () => {
  it.each<[string, Answer, string]>([
    [
      'status "error" with errorType "execution" inside a 200',
      {
        body: JSON.stringify({
          status: 'error',
          errorType: 'execution',
          error: 'query processing would load too many samples into memory in query execution',
        }),
      },
      'Prometheus refused the query (execution): query processing would load too many samples into memory in query execution',
    ],
    [
      'a 422',
      {
        status: 422,
        body: JSON.stringify({ status: 'error', errorType: 'execution', error: 'expanding series: context canceled' }),
      },
      'Prometheus refused the query (execution): expanding series: context canceled',
    ],
    [
      'a 503 with a JSON body',
      { status: 503, body: JSON.stringify({ status: 'error', errorType: 'timeout', error: 'query timed out' }) },
      'Prometheus refused the query (timeout): query timed out',
    ],
    [
      'a 503 from a proxy',
      { status: 503, body: 'upstream connect error or disconnect/reset before headers' },
      'answered HTTP 503: upstream connect error',
    ],
    [
      'a truncated body',
      { body: '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"j0"},"values":[[17' },
      'answered something that is not JSON: {"status":"success"',
    ],
    [
      'an HTML page from a proxy',
      { body: '<html><body><h1>502 Bad Gateway</h1></body></html>', headers: { 'Content-Type': 'text/html' } },
      'answered something that is not JSON: <html><body><h1>502 Bad Gateway</h1></body></html>',
    ],
  ])('%s', async (_name, bad, message) => {
    let failing = false;
    const { prom, h, clock } = await start((asked) => (failing ? bad : { body: fleetAnswer(asked) }));
    await h.pipeline.runOnce();
    failing = true;
    clock.advance(MINUTE);
    const failedFrom = prom.asked.length;
    await h.pipeline.runOnce();
    expect(status(h)).toEqual(
      expect.objectContaining({
        degraded: true,
        lastError: expect.objectContaining({ message: expect.stringContaining(message) }),
        lastProcessedAt: NOW,
      })
    );
    // A transient failure (5xx) is retried a bounded number of times (pipeline.retries, 3), the others not.
    const failedAsks = prom.asked.length - failedFrom;
    expect(failedAsks).toBe(bad.status === 503 ? 4 : 1);
    failing = false;
    clock.advance(MINUTE);
    await h.pipeline.runOnce();
    expect(status(h)).toEqual(expect.objectContaining({ degraded: false, lastProcessedAt: NOW + 2 * MINUTE }));
    expect(stepsAnswered(prom.asked, (a) => a.n < failedFrom || a.n >= failedFrom + failedAsks)).toEqual(
      everyStep(NOW - HOUR, NOW + 2 * MINUTE)
    );
    expect(h.pipeline.targets()).toHaveLength(3);
  });
});

it('a replica taking over targets reads their gap in shorter answers when one outgrows the size limit', async () => {
  let jobs = JOBS;
  let ownsAll = true;
  const ownership = {
    identity: 'replica-a',
    owns: (key: string) => ownsAll || key === 'w{job="j0"}',
    settled: () => true,
  };
  const a = await start((asked) => ({ body: fleetAnswer(asked, jobs) }), {
    prometheus: { maxResponseBytes: 64 * 1024 },
    extra: { ownership },
  });
  await a.h.pipeline.runOnce();
  // Replica a hands j1 and j2 over and scores j0 alone for three hours, while the fleet grows to 300.
  ownsAll = false;
  a.clock.advance(3 * HOUR);
  await a.h.pipeline.runOnce();
  await a.h.close();
  jobs = Array.from({ length: 300 }, (_, k) => `j${k}`);

  // Replica b takes everything over: j1 and j2 from their states of three hours ago.
  ownsAll = true;
  a.clock.advance(MINUTE);
  const b = buildPipeline({ prometheus: { url: a.prom.url, maxResponseBytes: 64 * 1024 }, watches: [watch] }, a.clock, {
    dataDir: a.h.dataDir,
    extra: { ownership: { ...ownership, identity: 'replica-b' } },
  });
  try {
    await b.pipeline.runOnce();
    expect(status(b)).toEqual(
      expect.objectContaining({
        degraded: false,
        lastError: null,
        targets: 300,
        lastProcessedAt: NOW + 3 * HOUR + MINUTE,
      })
    );
    const scored = Object.fromEntries(b.pipeline.targets().map((t) => [t.labels.job, t.lastScoredAt]));
    expect([scored.j1, scored.j2]).toEqual([NOW + 3 * HOUR + MINUTE, NOW + 3 * HOUR + MINUTE]);
  } finally {
    await b.close(true);
  }
});
