import { serialize } from 'node:v8';
import { jobTarget, testSettings } from '../testTargets';
import { decodeLegacyState, decodeState, encodeState, replaceNaN, StateCodecError } from './stateCodec';

const settings = testSettings({ probation: 3, closeAfter: 2 });

function learnedState() {
  const model = jobTarget('a', settings, 0.5);
  model.signalIndex({ name: 'x', kind: 'cpu', limits: { above: 1 } });
  for (let i = 0; i < 20; i++) {
    model.step(i * 60_000, [0.2 + (i % 3) / 10 + (i === 15 ? 5 : 0)]);
  }
  return model.toState();
}

describe('the target state codec', () => {
  it('gives back exactly the state it was given, NaN and infinities included', () => {
    const state = learnedState();
    const detector = state.signals[0].detector;
    detector.probe = [NaN, Infinity, -Infinity, 0.5];
    const bytes = encodeState(state);
    const back = decodeState(bytes);
    expect(back).toEqual(state);
    expect(back.signals[0].detector.probe).toEqual([NaN, Infinity, -Infinity, 0.5]);
  });

  it('reads the JSON of earlier builds, with their non-finite numbers', () => {
    const state = learnedState();
    state.signals[0].detector.probe = [NaN, -Infinity];
    expect(decodeLegacyState(JSON.stringify(state, replaceNaN))).toEqual(state);
  });

  it('refuses corrupt bytes and well-formed values that are not a target state, saying what is wrong', () => {
    const bytes = encodeState(learnedState());
    expect(() => decodeState(bytes.subarray(0, bytes.length >> 1))).toThrow(StateCodecError);
    expect(() => decodeState(Buffer.from('not a state'))).toThrow(/not a serialised target state/);
    expect(() => decodeState(serialize({ ...learnedState(), version: 2 }))).toThrow(/field version/);
    const broken = learnedState();
    expect(() => decodeState(serialize({ ...broken, open: { start: 'yesterday' } }))).toThrow(/field open\./);
    expect(() => decodeLegacyState('{"version":1')).toThrow(/not JSON/);
    expect(() =>
      decodeLegacyState(JSON.stringify({ ...broken, signals: [{ spec: { name: 'x', kind: 'weird' } }] }))
    ).toThrow(/field signals\.0\.spec\.kind/);
  });
});
