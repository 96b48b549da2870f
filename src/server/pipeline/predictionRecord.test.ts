import type { TimeToFailure } from '../../contract/pipeline';
import { NOT_PREDICTING, recordPredictions, type PredictionRecord } from './predictionRecord';

const T0 = Date.UTC(2025, 2, 3);
const STEP = 60_000;
const at = (step: number) => T0 + step * STEP;
const TARGET = { id: 'w{pod="a"}', watch: 'w' };

/**
 * The forecast made at `step` of a crossing at minute `crossing` (from T0), its interval `halfWidth`
 * minutes either side (`upper: null`: no upper edge).
 */
function forecast(
  step: number,
  crossing: number,
  { halfWidth = 10, upper = true, limit = 0.95, direction = 'above' as TimeToFailure['direction'] } = {}
): TimeToFailure {
  const seconds = Math.max(0, (T0 + crossing * STEP - at(step)) / 1000);
  return {
    signal: 'memory',
    limit,
    direction,
    seconds,
    lowerSeconds: Math.max(0, seconds - halfWidth * 60),
    upperSeconds: upper ? seconds + halfWidth * 60 : null,
    fromMs: at(step),
    stepMs: STEP,
  };
}

/** Feeds one signal's forecast at each step (null: none) and returns the steps of the rows recorded. */
function recorded(forecasts: Array<TimeToFailure | null>): { steps: number[]; rows: PredictionRecord[] } {
  const signal = { spec: { name: 'memory', kind: 'memory' as const }, ttf: null as TimeToFailure | null };
  let open = NOT_PREDICTING;
  const rows: PredictionRecord[] = [];
  forecasts.forEach((f, i) => {
    signal.ttf = f;
    const step = recordPredictions(TARGET, [signal], at(i), open);
    open = step.open;
    rows.push(...step.rows);
  });
  return { steps: rows.map((r) => (r.madeAt - T0) / STEP), rows };
}

const steps = (n: number, f: (i: number) => TimeToFailure | null, from = 0) =>
  Array.from({ length: n }, (_, i) => f(from + i));

describe('the prediction rows a target records', () => {
  it('records a forecast that holds once, not once a step', () => {
    // Re-fitted every step, the crossing wanders 3 minutes either way inside its 10-minute half-width.
    const { steps: made, rows } = recorded(steps(600, (i) => forecast(i, 1000 + 3 * Math.sin(i))));
    expect(made).toEqual([0]);
    expect(rows[0]).toEqual({
      targetId: TARGET.id,
      watch: 'w',
      signal: 'memory',
      madeAt: T0,
      limit: 0.95,
      direction: 'above',
      seconds: 60_000,
      lowerSeconds: 59_400,
      upperSeconds: 60_600,
    });
  });

  it('records a move held for three forecasts, not a jump of two that comes back', () => {
    const forecasts = [
      ...steps(100, (i) => forecast(i, 1000)),
      ...steps(2, (i) => forecast(i, 1300), 100),
      ...steps(98, (i) => forecast(i, 1000), 102),
      ...steps(100, (i) => forecast(i, 700), 200),
    ];
    expect(recorded(forecasts).steps).toEqual([0, 202]);
  });

  it("moves by more than a tenth of the time left and the narrower interval's half-width", () => {
    // 1,000 minutes out, a 60-minute move is under a tenth (about 105 minutes) though past the half-width.
    expect(recorded([...steps(5, (i) => forecast(i, 1000)), ...steps(5, (i) => forecast(i, 1060), 5)]).steps).toEqual([
      0,
    ]);
    // 100 minutes out, a 20-minute move is past both...
    expect(recorded([...steps(5, (i) => forecast(i, 100)), ...steps(5, (i) => forecast(i, 120), 5)]).steps).toEqual([
      0, 7,
    ]);
    // ...unless both intervals are 30 minutes wide either side, or have no upper edge and 30 below...
    for (const wide of [{ halfWidth: 30 }, { halfWidth: 30, upper: false }]) {
      expect(
        recorded([...steps(5, (i) => forecast(i, 100, wide)), ...steps(5, (i) => forecast(i, 120, wide), 5)]).steps
      ).toEqual([0]);
    }
    // ...but a surer forecast whose own interval rules out the first's crossing is recorded.
    expect(
      recorded([...steps(5, (i) => forecast(i, 100, { halfWidth: 30 })), ...steps(5, (i) => forecast(i, 120), 5)]).steps
    ).toEqual([0, 7]);
  });

  it('ends a prediction dropped with the last forecast it held', () => {
    const { steps: made, rows } = recorded([...steps(10, (i) => forecast(i, 1000 + i)), null, null]);
    expect(made).toEqual([0, 9]);
    expect(rows[1].seconds).toBe((1009 - 9) * 60);
    // Dropped right after it was recorded: nothing more to say.
    expect(recorded([forecast(0, 1000), null]).steps).toEqual([0]);
  });

  it('does not make again a forecast kept from an earlier sample', () => {
    const kept = forecast(0, 1000);
    expect(recorded([kept, kept, kept, kept, forecast(4, 1001), null]).steps).toEqual([0, 4]);
    expect(recorded([kept, kept, kept, null]).steps).toEqual([0]);
  });

  it('records the crossing passed once, nothing while the signal hovers at its limit, and a crossing ahead again', () => {
    const forecasts = [
      ...steps(10, (i) => forecast(i, 10)),
      // Crossed, then the samples straddle the limit: crossed, none, or a crossing within its own half-width.
      ...steps(
        40,
        (i) => (i % 3 === 0 ? null : i % 3 === 1 ? forecast(i, i) : forecast(i, i + 2, { halfWidth: 5 })),
        10
      ),
      ...steps(10, (i) => forecast(i, 400), 50),
    ];
    const { steps: made, rows } = recorded(forecasts);
    expect(made).toEqual([0, 10, 50]);
    expect(rows.map((r) => r.seconds)).toEqual([600, 0, 350 * 60]);
  });

  it('ends the open prediction and starts another when the limit or direction changes', () => {
    const { steps: made, rows } = recorded([
      ...steps(5, (i) => forecast(i, 1000 + i)),
      ...steps(3, (i) => forecast(i, 900, { limit: 0.1, direction: 'below' }), 5),
    ]);
    expect(made).toEqual([0, 4, 5]);
    expect(rows.map((r) => r.direction)).toEqual(['above', 'above', 'below']);
  });
});
