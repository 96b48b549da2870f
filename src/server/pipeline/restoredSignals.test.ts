import { decodeLegacyState, decodeState, encodeState, replaceNaN } from './store/stateCodec';
import { TargetModel } from './targetModel';
import { jobTarget, testSettings } from './testTargets';

const settings = testSettings({ probation: 3, closeAfter: 2 });
const MINUTE = 60_000;

/** A target of one signal `x` with an anomaly open on it, as an earlier build stored it: its forecast named once per minute. */
function storedByEarlierBuild() {
  const model = jobTarget('a', settings, 0.5);
  model.signalIndex({ name: 'x', kind: 'memory', limits: { above: 1 } });
  for (let i = 0; i < 20; i++) {
    model.step(i * MINUTE, [0.2 + (i % 3) / 100 + (i === 19 ? 0.5 : 0)]);
  }
  const state = model.toState();
  expect(state.open).not.toBeNull();
  state.open!.signals = ['x', 'x (limit 1 in 12 min or later)', 'x (limit 1 in 11 min or later)', 'x (stopped)'];
  return state;
}

describe('an open anomaly restored from the state of an earlier build', () => {
  it('names its forecast once, and goes on naming each signal once', () => {
    for (const state of [
      decodeState(encodeState(storedByEarlierBuild())),
      decodeLegacyState(JSON.stringify(storedByEarlierBuild(), replaceNaN)),
    ]) {
      expect(state.open!.signals).toEqual(['x', 'x (limit forecast)', 'x (stopped)']);
      const model = TargetModel.fromState('w{job="a"}', 'w', { job: 'a' }, null, settings, state);
      model.step(20 * MINUTE, [0.9]);
      expect(model.open!.signals).toEqual(['x', 'x (limit forecast)', 'x (stopped)']);
    }
  });
});
