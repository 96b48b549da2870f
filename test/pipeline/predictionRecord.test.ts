import { Random } from '../../src/detection';
import type { PipelineRepository } from '../../src/server/pipeline/store/repository';
import { openPostgresStore } from '../../src/server/store/postgres';
import { PostgresPipelineRepository } from '../../src/server/store/postgres/pipeline';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import type { BackfillSeries } from '../harness/openmetrics';
import { postgresForTests } from '../harness/postgres';
import { startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { buildPipeline, HOUR, MINUTE, TestClock } from './helpers';

// Two leaking pods at a 1-minute step, as the forecaster audit's case 4 (one row a step: 1,036 in
// 54 h): `speeding` leaks 1% of its limit an hour, twice as fast from 44 h, and crosses it at about
// 49.5 h; `stopping` leaks the same until its series stops at 46 h. Replayed up to 45 h, then scored
// live every 10 minutes up to 52 h, on each store.
const T0 = Date.UTC(2025, 2, 3);
const END = 52 * HOUR;
const SPEED_UP = 44 * HOUR;
const STOP = 46 * HOUR;
const LIMIT = 0.95;

function leaks(): BackfillSeries[] {
  const rng = new Random(9);
  const noise = () => 0.005 * Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const minutes = (until: number) => Array.from({ length: until / MINUTE + 1 }, (_, i) => T0 + i * MINUTE);
  const hours = (t: number) => (t - T0) / HOUR;
  const speeding = minutes(END);
  const stopping = minutes(STOP);
  return [
    {
      name: 'app_memory_ratio',
      labels: { pod: 'speeding' },
      timestamps: speeding,
      values: speeding.map(
        (t) => (t < T0 + SPEED_UP ? 0.4 + 0.01 * hours(t) : 0.84 + 0.02 * (hours(t) - 44)) + noise()
      ),
    },
    {
      name: 'app_memory_ratio',
      labels: { pod: 'stopping' },
      timestamps: stopping,
      values: stopping.map((t) => 0.4 + 0.01 * hours(t) + noise()),
    },
  ];
}

const WATCH = {
  name: 'leaks',
  queries: { memory: 'app_memory_ratio' },
  target: ['pod'],
  step: '1m',
  history: '3d',
  limits: { memory: LIMIT },
  probation: 750,
};
const SPEEDING = 'leaks{pod="speeding"}';
const STOPPING = 'leaks{pod="stopping"}';

const postgres = postgresForTests();
let prom: RunningPrometheus;
const series = leaks();

beforeAll(async () => {
  prom = await startPrometheus(series);
}, 120_000);
afterAll(() => prom?.stop());

type Store = (clock: TestClock) => Promise<{ repository?: PipelineRepository; close(): Promise<void> }>;
const stores: Array<[string, Store]> = [
  ['SQLite', async () => ({ close: async () => undefined })],
  [
    'PostgreSQL',
    async (clock) => {
      const store = await openPostgresStore(await postgres().createDatabase('predictions'), {
        secrets: ephemeralSecretBox(),
      });
      return {
        repository: new PostgresPipelineRepository(store.pool, store.where, 4, () => clock.now()),
        close: () => store.close(),
      };
    },
  ],
];

/** Runs the watch over the two leaks; returns each pod's prediction rows, oldest first, and the targets as they end. */
async function run(open: Store) {
  const clock = new TestClock(T0 + 45 * HOUR + 30_000);
  const store = await open(clock);
  const h = buildPipeline({ prometheus: { url: prom.url }, watches: [WATCH] }, clock, {
    extra: store.repository ? { repository: store.repository } : {},
  });
  try {
    await h.pipeline.runOnce();
    while (clock.now() < T0 + END) {
      clock.advance(10 * MINUTE);
      await h.pipeline.runOnce();
    }
    const rows = (target: string) => h.pipeline.predictions({ target, limit: 1000 }).then((p) => p.reverse());
    const targets = new Map(h.pipeline.targets().map((t) => [t.id, t]));
    return { speeding: await rows(SPEEDING), stopping: await rows(STOPPING), targets };
  } finally {
    await h.close(true);
    await store.close();
  }
}

const hours = (ms: number) => (ms - T0) / HOUR;

describe.each(stores)('prediction rows through the watch loop on %s (real Prometheus)', (_name, open) => {
  let result: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    result = await run(open);
  }, 120_000);

  it('records the start, a moved crossing and the crossing passed of a leak that speeds up: a handful, not a row a step', () => {
    const rows = result.speeding;
    console.log(
      `speeding leak: ${rows.length} rows: ${rows
        .slice(0, 12)
        .map((p) => `${hours(p.madeAt).toFixed(2)} h → ${hours(p.predictedFailureAt).toFixed(2)} h`)
        .join(', ')}`
    );
    // It forecasts from about 36.7 h on: a row a step was 911 rows.
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.length).toBeLessThanOrEqual(12);
    const [first] = rows;
    const last = rows.at(-1)!;
    // The first: made before the speed-up, on the first slope, which crosses at 55 h.
    expect(hours(first.madeAt)).toBeLessThan(38);
    expect(Math.abs(hours(first.predictedFailureAt) - 55)).toBeLessThan(0.5);
    // A moved one: after the speed-up, hours earlier, near the new crossing at 49.5 h.
    const moved = rows.filter((p) => p.madeAt > T0 + SPEED_UP && p.seconds > 0);
    expect(moved.some((p) => Math.abs(hours(p.predictedFailureAt) - 49.5) < 0.75)).toBe(true);
    // The last: the crossing passed, when the series first reached the limit; nothing since, in 2.5 h at the limit.
    const leak = series[0];
    const reached = leak.timestamps[Array.from(leak.values).findIndex((v) => v >= LIMIT)];
    expect(last.seconds).toBe(0);
    expect(Math.abs(last.madeAt - reached)).toBeLessThanOrEqual(30 * MINUTE);
    expect(result.targets.get(SPEEDING)?.timeToFailure?.seconds).toBe(0);
  });

  it('ends the prediction of a series that stopped with the last forecast it made', () => {
    const rows = result.stopping;
    console.log(
      `stopping leak: ${rows.length} rows: ${rows
        .slice(0, 12)
        .map((p) => `${hours(p.madeAt).toFixed(2)} h → ${hours(p.predictedFailureAt).toFixed(2)} h`)
        .join(', ')}`
    );
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.length).toBeLessThanOrEqual(6);
    expect(hours(rows[0].madeAt)).toBeLessThan(38);
    // Prometheus answers a stopped series' last sample for 5 more minutes; the forecast goes 5 steps later.
    const last = rows.at(-1)!;
    expect(last.madeAt).toBeGreaterThanOrEqual(T0 + STOP);
    expect(last.madeAt).toBeLessThanOrEqual(T0 + STOP + 5 * MINUTE);
    expect(Math.abs(hours(last.predictedFailureAt) - 55)).toBeLessThan(0.5);
    expect(result.targets.get(STOPPING)?.timeToFailure).toBeNull();
    expect(result.targets.get(STOPPING)?.noForecast).toBe('no recent sample');
  });
});
