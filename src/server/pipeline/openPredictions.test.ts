import { FORECAST_STALE_STEPS } from '../../contract/pipeline';
import { gatherChanges } from './checkpoint';
import { decodeState, encodeState, StateCodecError } from './store/stateCodec';
import { TargetModel, type TargetSettings } from './targetModel';
import { jobTarget, testSettings } from './testTargets';

// A target's open predictions in its stored state: restored, a prediction goes on without a row;
// forgotten, it ends with the last forecast it held.

const STEP = 300_000;
const HOUR = 3_600_000;
const settings: TargetSettings = testSettings({ stepMs: STEP, probation: 24, horizonSteps: 288 });
/** A memory ratio rising 10% an hour from 16%: forecast to reach 0.6 about 1.1 h after 40 steps. */
const leak = (i: number) => 0.16 + (0.1 * i * STEP) / HOUR;

/** A target whose memory (limit above 0.6) leaked for `steps` steps, its changes handed over. */
function leaking(steps = 40): TargetModel {
  const model = jobTarget('a', settings, 0.99);
  model.signalIndex({ name: 'memory', kind: 'memory', limits: { above: 0.6 } });
  for (let i = 0; i < steps; i++) {
    model.step(i * STEP, [leak(i)]);
  }
  expect(model.ttf).toMatchObject({ signal: 'memory', fromMs: (steps - 1) * STEP });
  expect(model.takeChanges().predictions.length).toBeGreaterThan(0);
  return model;
}

/** The target as the store gives it back (V8 serialisation, read through the state schema). */
function restarted(model: TargetModel, edit: (state: Record<string, unknown>) => void = () => undefined): TargetModel {
  const state = model.toState() as unknown as Record<string, unknown>;
  edit(state);
  const read = decodeState(encodeState(state as unknown as ReturnType<TargetModel['toState']>));
  return TargetModel.fromState(model.id, model.watch, model.labels, null, settings, read);
}

describe('open predictions in the stored target state', () => {
  it('go on after a restore: the next forecasts, unchanged, record nothing', () => {
    const model = leaking();
    const restored = restarted(model);
    for (let i = 40; i < 44; i++) {
      model.step(i * STEP, [leak(i)]);
      restored.step(i * STEP, [leak(i)]);
    }
    expect(model.takeChanges().predictions).toEqual([]);
    expect(restored.takeChanges().predictions).toEqual([]);
    expect(restored.ttf).toEqual(model.ttf);
  });

  it('keep their forecast over samples missed right after a restore, and end with it once it is out of date', () => {
    const model = leaking();
    const restored = restarted(model);
    for (let i = 40; i <= 40 + FORECAST_STALE_STEPS; i++) {
      model.step(i * STEP, [NaN]);
      restored.step(i * STEP, [NaN]);
      if (i < 40 + FORECAST_STALE_STEPS) {
        expect(restored.ttf).toEqual(model.ttf);
        expect(restored.ttf).toMatchObject({ fromMs: 39 * STEP });
      }
    }
    const ended = model.takeChanges().predictions;
    expect(ended).toEqual([expect.objectContaining({ madeAt: 39 * STEP, signal: 'memory' })]);
    expect(restored.takeChanges().predictions).toEqual(ended);
    expect(restored.ttf).toBeNull();
  });

  it('restore from a state stored before they were kept (none): the first forecast starts a prediction', () => {
    const model = leaking();
    expect(model.toState().predicting).toHaveLength(1);
    const restored = restarted(model, (state) => delete state.predicting);
    restored.step(40 * STEP, [leak(40)]);
    expect(restored.takeChanges().predictions).toEqual([expect.objectContaining({ madeAt: 40 * STEP })]);
  });

  it('are checked by the state schema like the rest of the state', () => {
    const model = leaking();
    const bad = (edit: (open: Record<string, unknown>) => void) => () =>
      restarted(model, (state) => edit((state.predicting as Array<Record<string, unknown>>)[0]));
    expect(bad((open) => (open.moves = 'two'))).toThrow(StateCodecError);
    expect(bad((open) => (open.recorded = { signal: 'memory' }))).toThrow(/field predicting\.0\.recorded/);
  });
});

describe('a forgotten target', () => {
  it('ends its open prediction with the last forecast it held, though that forecast was still kept', () => {
    // Forgotten two steps after its last sample: sooner than a kept forecast goes out of date.
    const model = leaking();
    model.step(40 * STEP, [leak(40)]);
    model.step(41 * STEP, [NaN]);
    const changes = gatherChanges([model], [model], 41 * STEP);
    expect(changes.forgotten).toEqual([model]);
    expect(changes.predictions).toEqual([expect.objectContaining({ madeAt: 40 * STEP, signal: 'memory' })]);
  });

  it('hands over the row that ends its prediction when its forecast went out of date at a step that scored nothing', () => {
    const model = leaking();
    model.step(40 * STEP, [NaN], undefined, 'removed');
    // Not among the scored targets (the step scored nothing), not stale yet.
    const changes = gatherChanges([], [model], 0);
    expect(changes.forgotten).toEqual([]);
    expect(changes.lapsed).toEqual([model]);
    expect(changes.predictions).toEqual([expect.objectContaining({ madeAt: 39 * STEP })]);
  });
});
