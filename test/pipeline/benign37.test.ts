import { Random } from '../../src/detection';
import { configSchema } from '../../src/server/config/schema';
import { retrainOnDemand } from '../../src/server/pipeline/testRetraining';
import { jobTarget, testSettings } from '../../src/server/pipeline/testTargets';
import type { AnomalyRecord, TargetModel } from '../../src/server/pipeline/targetModel';
import { storesAt } from '../store/storesAt';

// An operator's false positive once the target's baseline has moved (benignExcursions.ts): a z-score
// target scored every minute sees a nightly job spike 50 above its baseline of 100 and alarms; the
// operator calls it benign and the target retrains on that history; then its baseline moves and
// settles, and the job (and a fault) come again. What is benign is how far a step departs from the
// value expected at it: the same job is benign wherever the baseline went, a larger departure alarms
// even under the old extreme.

const STEP = 60_000;
const T0 = Date.UTC(2025, 5, 2);
const THRESHOLD = 0.5;
/** Steps before and after the baseline moves: longer than the z-score's window (288), which then holds only the new baseline. */
const PHASE = 400;
/** The step of the first phase the benign nightly job peaks at, 50 above the baseline of 100. */
const JOB_AT = 350;
const JOB_RISE = 50;

const stores = storesAt(T0, 'benign37_').byKind;
const settings = testSettings();
const [watch] =
  configSchema.parse({
    prometheus: { url: 'http://127.0.0.1:1' },
    watches: [{ name: 'w', queries: { x: 'x' }, target: ['job'], step: '1m', history: '1d', threshold: THRESHOLD }],
  }).watches ?? [];

/** `PHASE` steps from step `start` of a baseline with a little noise, and a spike at each step `spikes` names (its rise). */
function phase(start: number, baseline: number, spikes: Record<number, number>, seed: number) {
  const rng = new Random(seed);
  const timestamps = Array.from({ length: PHASE }, (_, i) => T0 + (start + i) * STEP);
  const values = timestamps.map((_, i) => baseline + 2 * (rng.next() + rng.next() - 1) + (spikes[i] ?? 0));
  return { timestamps, values };
}

/** Scores the samples live on the target and hands over the anomalies they left (each one once, as a checkpoint stores them). */
function scored(target: TargetModel, { timestamps, values }: ReturnType<typeof phase>): readonly AnomalyRecord[] {
  timestamps.forEach((t, i) => target.step(t, [values[i]]));
  return target.takeChanges().anomalies;
}

/** The anomaly that started at step `k` of the second phase, if any. */
const startedAt = (anomalies: readonly AnomalyRecord[], k: number): AnomalyRecord | undefined =>
  anomalies.find((a) => a.start === T0 + (PHASE + k) * STEP);

describe.each(Object.keys(stores))('a benign excursion once the baseline moved, on %s', (kind) => {
  /**
   * A target that alarmed on the nightly job, had it marked a false positive and retrained on that
   * history, as feedback and "Retrain now" leave it.
   */
  async function afterFalsePositive(): Promise<TargetModel> {
    const store = await stores[kind]();
    const repo = store.pipeline;
    const target = jobTarget('j', settings, THRESHOLD);
    target.signalIndex({ name: 'x', kind: 'other' });
    const history = phase(0, 100, { [JOB_AT]: JOB_RISE }, 1);
    const end = history.timestamps[PHASE - 1];
    const alarmed = scored(target, history);
    expect(alarmed.map((a) => (a.start - T0) / STEP)).toEqual([JOB_AT]);
    const [stored] = await repo.commitCycle({
      watch: 'w',
      lastProcessed: end,
      targets: [],
      anomalies: [...alarmed],
      predictions: [],
      forgotten: [],
    });
    await repo.addFeedback(stored.id!, 'false_positive', 'operator', 'ada', null);
    const result = await retrainOnDemand(
      {
        watch,
        repo,
        settings,
        fetch: async (from, to) => {
          const at = history.timestamps.flatMap((t, i) => (t >= from && t <= to ? [i] : []));
          const timestamps = Float64Array.from(at, (i) => history.timestamps[i]);
          const values = Float64Array.from(at, (i) => history.values[i]);
          return new Map([['x', [{ labels: { job: 'j' }, timestamps, values }]]]);
        },
      },
      target,
      end
    );
    expect(result).toMatchObject({ trained: 1, failed: [] });
    // The job's peak, 50 above the value expected then (give or take the noise).
    expect(target.benign).toEqual([
      expect.objectContaining({ signal: 'x', side: 'above', extreme: history.values[JOB_AT] }),
    ]);
    expect(Math.abs(target.benign[0].departure - JOB_RISE)).toBeLessThan(3);
    return target;
  }

  it('leaves the same job unalarmed after the baseline rose above its old extreme, and alarms on a larger departure', async () => {
    const target = await afterFalsePositive();
    // Traffic doubled: the baseline is 200, the job peaks at 250 (above the old extreme of 150), then a fault at 275.
    const anomalies = scored(target, phase(PHASE, 200, { 350: JOB_RISE, 380: 75 }, 2));
    expect(startedAt(anomalies, 350)).toBeUndefined();
    expect(startedAt(anomalies, 380)).toMatchObject({ signals: ['x'], direction: 'above' });
  });

  it('alarms on a larger departure under the old extreme after the baseline fell, and leaves the same job unalarmed', async () => {
    const target = await afterFalsePositive();
    // A temperature drifted down to 60: the job peaks at 110, then a fault reaches 140 (under the old extreme, 80 out).
    const anomalies = scored(target, phase(PHASE, 60, { 350: JOB_RISE, 380: 80 }, 3));
    expect(startedAt(anomalies, 350)).toBeUndefined();
    const fault = startedAt(anomalies, 380);
    expect(fault).toMatchObject({ signals: ['x'], direction: 'above' });
    expect(Math.abs(fault!.peak!.value - 140)).toBeLessThan(3);
  });
});
