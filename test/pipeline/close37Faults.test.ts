import type { Anomaly } from '../../src/contract/pipeline';
import { Random } from '../../src/detection';
import type { PipelineRepository } from '../../src/server/pipeline/store/repository';
import { openPostgresStore } from '../../src/server/store/postgres';
import { PostgresPipelineRepository } from '../../src/server/store/postgres/pipeline';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { postgresForTests } from '../harness/postgres';
import { startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { DEMO_PODS, DEMO_SPIKE, demoLatency } from './close37DemoLatency';
import { buildPipeline, composeWatch, type Harness, MINUTE, TestClock } from './helpers';

const T0 = Date.UTC(2025, 2, 3, 9);
/** compose/watches.yaml's step and lag, and the default closeAfter. */
const STEP = 15_000;
const LAG = 15_000;
const CLOSE_AFTER = 6;
/** healing.limits.verification.recoveredBelowScore's default: a score under it reads as recovered. */
const RECOVERED_BELOW = 0.5;

/** Each cycle's view of one target's anomalies: the last step the cycle scored and its anomaly then. */
interface Seen {
  step: number;
  anomaly?: Anomaly;
  score?: number;
}

/** Runs a cycle every step until `until`, recording after each what `pods` show (their only anomaly). */
async function watchEachStep(
  h: Harness,
  clock: TestClock,
  watch: string,
  pods: string[],
  until: number
): Promise<Map<string, Seen[]>> {
  const seen = new Map(pods.map((pod) => [pod, [] as Seen[]]));
  for (; clock.ms <= until; clock.advance(STEP)) {
    await h.pipeline.runOnce();
    const anomalies = await h.pipeline.anomalies({ watch, limit: 100 });
    for (const pod of pods) {
      const target = h.pipeline.targets().find((t) => t.labels.pod === pod);
      const [anomaly, ...more] = anomalies.filter((a) => a.labels.pod === pod);
      expect(more).toEqual([]);
      seen.get(pod)!.push({ step: clock.ms - LAG, anomaly, score: target && h.pipeline.currentScore(target.id) });
    }
  }
  return seen;
}

/** Steps (as minutes from T0) whose cycle showed the anomaly open, and the first that showed it closed. */
function openSpan(seen: Seen[]): { open: number[]; firstClosed?: number } {
  const minutes = (t: number): number => (t - T0) / MINUTE;
  return {
    open: seen.filter((s) => s.anomaly?.state === 'open').map((s) => minutes(s.step)),
    firstClosed: seen.filter((s) => s.anomaly?.state === 'closed').map((s) => minutes(s.step))[0],
  };
}

/** Minutes from `from` to `to` (exclusive) in steps. */
function stepsBetween(from: number, to: number): number[] {
  const out: number[] = [];
  for (let t = from; t < to; t += STEP) {
    out.push((t - T0) / MINUTE);
  }
  return out;
}

describe("the compose demo's first latency spike, watched as compose/watches.yaml says (real Prometheus)", () => {
  let prom: RunningPrometheus;
  let h: Harness;
  const clock = new TestClock(T0 + 2 * MINUTE);

  beforeAll(async () => {
    prom = await startPrometheus(demoLatency(T0, 16));
    const watch = composeWatch('demo-latency');
    h = buildPipeline({ prometheus: { url: prom.url }, watches: [watch] }, clock);
  }, 120_000);

  afterAll(async () => {
    await h?.close(true);
    await prom?.stop();
  });

  it('keeps each replica’s anomaly open while the spike lasts, and closes it within closeAfter of its series’ return', async () => {
    const seen = await watchEachStep(h, clock, 'demo-latency', DEMO_PODS, T0 + 16 * MINUTE);
    const spikeStart = T0 + DEMO_SPIKE.from;
    const spikeEnd = spikeStart + DEMO_SPIKE.length;
    // The series is a rate over a minute: it is back at the first step a minute after the spike ends.
    const back = spikeEnd + MINUTE;
    const expected = {
      start: spikeStart,
      end: back,
      open: stepsBetween(spikeStart, back + (CLOSE_AFTER - 1) * STEP),
      firstClosed: (back + (CLOSE_AFTER - 1) * STEP - T0) / MINUTE,
    };
    const found = DEMO_PODS.map((pod) => {
      const s = seen.get(pod)!;
      const last = s.at(-1)!.anomaly;
      return { pod, start: last?.start, end: last?.end, ...openSpan(s) };
    });
    expect(found).toEqual(DEMO_PODS.map((pod) => ({ pod, ...expected })));
  }, 120_000);
});

/**
 * A gauge with the demo's settings (15 s steps, probation 20, lag 15 s, closeAfter 6), its fault
 * eight minutes into its life (the detector has seen 32 samples): on `lasting` it stays for 40
 * steps (ten minutes, longer than the series had lived), on `blip` for one sample.
 */
const FAULT_AT = T0 + 8 * MINUTE;
const LASTING_STEPS = 40;
const FAULT_END = FAULT_AT + LASTING_STEPS * STEP;

function queueDepth(): Array<{ name: string; labels: Record<string, string>; timestamps: number[]; values: number[] }> {
  const rng = new Random(37);
  return [
    { pod: 'lasting', faulty: (t: number) => t >= FAULT_AT && t < FAULT_END },
    { pod: 'blip', faulty: (t: number) => t === FAULT_AT },
  ].map(({ pod, faulty }) => {
    const timestamps: number[] = [];
    const values: number[] = [];
    for (let t = T0; t <= T0 + 40 * MINUTE; t += STEP) {
      timestamps.push(t);
      values.push((faulty(t) ? 50 : 10) + rng.next() - 0.5);
    }
    return { name: 'demo_queue_depth', labels: { pod, job: 'demo-workload' }, timestamps, values };
  });
}

const QUEUE_WATCH = {
  name: 'demo-queue',
  queries: { depth: 'demo_queue_depth' },
  target: ['pod'],
  step: '15s',
  history: '1h',
  probation: 20,
  lag: '15s',
};

describe('a fault that lasts, opened early in a series’ life, beside a one-sample spike (real Prometheus)', () => {
  let prom: RunningPrometheus;
  const postgres = postgresForTests();
  let postgresUrl: string | undefined;

  beforeAll(async () => {
    prom = await startPrometheus(queueDepth());
  }, 120_000);

  afterAll(async () => {
    await prom?.stop();
  });

  it('holds the lasting fault’s anomaly until the fault ends and closes both within closeAfter of their ends', async () => {
    const clock = new TestClock(T0 + 2 * MINUTE);
    const h = buildPipeline({ prometheus: { url: prom.url }, watches: [QUEUE_WATCH] }, clock);
    try {
      const seen = await watchEachStep(h, clock, 'demo-queue', ['lasting', 'blip'], T0 + 24 * MINUTE);
      const lasting = seen.get('lasting')!;
      const blip = seen.get('blip')!;
      const blipEnd = FAULT_AT + STEP;
      expect({
        lasting: { start: lasting.at(-1)!.anomaly?.start, end: lasting.at(-1)!.anomaly?.end, ...openSpan(lasting) },
        blip: { start: blip.at(-1)!.anomaly?.start, end: blip.at(-1)!.anomaly?.end, ...openSpan(blip) },
      }).toEqual({
        lasting: {
          start: FAULT_AT,
          end: FAULT_END,
          open: stepsBetween(FAULT_AT, FAULT_END + (CLOSE_AFTER - 1) * STEP),
          firstClosed: (FAULT_END + (CLOSE_AFTER - 1) * STEP - T0) / MINUTE,
        },
        blip: {
          start: FAULT_AT,
          end: blipEnd,
          open: stepsBetween(FAULT_AT, blipEnd + (CLOSE_AFTER - 1) * STEP),
          firstClosed: (blipEnd + (CLOSE_AFTER - 1) * STEP - T0) / MINUTE,
        },
      });
      // Healing re-checks the trigger and verifies with this score: not recovered while the fault lasts, after it.
      const during = lasting.filter((s) => s.step >= FAULT_AT && s.step < FAULT_END).map((s) => s.score!);
      const after = lasting.filter((s) => s.step >= FAULT_END).map((s) => s.score!);
      expect(Math.min(...during)).toBeGreaterThanOrEqual(RECOVERED_BELOW);
      expect(Math.max(...after)).toBeLessThan(RECOVERED_BELOW);
    } finally {
      await h.close(true);
    }
  }, 120_000);

  /** Each store by name: what one process' pipeline is built with to store on it (nothing: the harness' SQLite). */
  const stores: Record<
    string,
    (clock: TestClock) => Promise<{ extra: { repository?: PipelineRepository }; close(): Promise<void> }>
  > = {
    SQLite: async () => ({ extra: {}, close: async () => undefined }),
    PostgreSQL: async (clock) => {
      postgresUrl ??= await postgres().createDatabase('close37');
      const store = await openPostgresStore(postgresUrl, {
        secrets: ephemeralSecretBox(),
        limits: { maxConnections: 2 },
      });
      return {
        extra: { repository: new PostgresPipelineRepository(store.pool, store.where, 4, () => clock.now()) },
        close: () => store.close(),
      };
    },
  };

  it.each(Object.keys(stores))(
    'still holds it after a restart in the middle of the fault (%s)',
    async (kind) => {
      const clock = new TestClock(T0 + 2 * MINUTE);
      const before = await stores[kind](clock);
      const first = buildPipeline({ prometheus: { url: prom.url }, watches: [QUEUE_WATCH] }, clock, {
        extra: before.extra,
      });
      await watchEachStep(first, clock, 'demo-queue', ['lasting'], FAULT_AT + 3 * MINUTE);
      await first.close();
      await before.close();
      const after = await stores[kind](clock);
      const h = buildPipeline({ prometheus: { url: prom.url }, watches: [QUEUE_WATCH] }, clock, {
        dataDir: first.dataDir,
        extra: after.extra,
      });
      try {
        const seen = (await watchEachStep(h, clock, 'demo-queue', ['lasting'], FAULT_END + 3 * MINUTE)).get('lasting')!;
        const during = seen.filter((s) => s.step < FAULT_END);
        expect(during.length).toBeGreaterThan(20);
        expect(during.filter((s) => s.anomaly?.state !== 'open')).toEqual([]);
        expect(seen.at(-1)!.anomaly).toMatchObject({ start: FAULT_AT, end: FAULT_END, state: 'closed' });
      } finally {
        await h.close(true);
        await after.close();
      }
    },
    120_000
  );
});
