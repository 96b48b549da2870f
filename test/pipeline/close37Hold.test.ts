import { Random, RECOMMENDED_THRESHOLD } from '../../src/detection';
import { LEARNING_MS } from '../../src/detection/shared/dailyViews';
import { TargetModel, type AnomalyRecord } from '../../src/server/pipeline/targetModel';
import { jobTarget, testSettings } from '../../src/server/pipeline/testTargets';

// A target as compose/watches.yaml's watches run (the default detector, 15 s steps, probation 20,
// closeAfter 6), stepped directly: how long a gross fault's excursion holds its anomaly.
const STEP = 15_000;
const CLOSE_AFTER = 6;
const settings = testSettings({ detector: 'failureprophet', stepMs: STEP, probation: 20, closeAfter: CLOSE_AFTER });
/** The fault starts 32 samples into the series' life, as the demo's first spike. */
const FAULT_AT = 32 * STEP;

/** A queue depth of 10 (give or take half) with `fault(t)` (NaN: no sample) where it says; the target after `steps` steps. */
function stepped(steps: number, fault: (t: number) => number | undefined): { model: TargetModel; levels: number[] } {
  const rng = new Random(37);
  const model = jobTarget('queue', settings, RECOMMENDED_THRESHOLD);
  model.signalIndex({ name: 'depth', kind: 'other' });
  const levels: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = i * STEP;
    const noise = rng.next() - 0.5;
    model.step(t, [(fault(t) ?? 10) + noise]);
    levels.push(model.level);
  }
  return { model, levels };
}

function anomalies(model: TargetModel): AnomalyRecord[] {
  return [...model.takeChanges().anomalies];
}

describe("a gross fault's excursion holding its anomaly", () => {
  it('holds a fault that lasts no longer than the detector takes to calibrate, then lets its level decide', () => {
    const heldFor = LEARNING_MS / STEP;
    // Four hours at 50: longer than the hold.
    const { model } = stepped(32 + heldFor + 400, (t) => (t >= FAULT_AT ? 50 : undefined));
    const [anomaly, ...more] = anomalies(model);
    expect(more).toEqual([]);
    expect(anomaly).toMatchObject({ start: FAULT_AT, end: FAULT_AT + LEARNING_MS, state: 'closed' });
  });

  it('goes on through a step without a sample while the value stays out, and ends at the first step back', () => {
    const end = FAULT_AT + 40 * STEP;
    const gap = FAULT_AT + 20 * STEP;
    const { model, levels } = stepped(32 + 60, (t) => (t === gap ? NaN : t >= FAULT_AT && t < end ? 50 : undefined));
    const [anomaly, ...more] = anomalies(model);
    expect(more).toEqual([]);
    expect(anomaly).toMatchObject({ start: FAULT_AT, end, state: 'closed' });
    // What healing reads: as grave as the call while the value is out (the gap aside), under the threshold after.
    const during = levels.slice(32, 72).filter((_, i) => 32 + i !== gap / STEP);
    expect(Math.min(...during)).toBe(1);
    expect(Math.max(...levels.slice(72))).toBeLessThan(RECOMMENDED_THRESHOLD);
  });

  it('goes on through a return shorter than closeAfter: a fault that flaps is one anomaly', () => {
    // Out 10 steps, back 3, out again 20: the second time within the range seen, no new call.
    const end = FAULT_AT + 33 * STEP;
    const { model } = stepped(32 + 60, (t) => {
      const k = (t - FAULT_AT) / STEP;
      return (k >= 0 && k < 10) || (k >= 13 && k < 33) ? 50 : undefined;
    });
    const [anomaly, ...more] = anomalies(model);
    expect(more).toEqual([]);
    expect(anomaly).toMatchObject({ start: FAULT_AT, end, state: 'closed' });
  });
});
