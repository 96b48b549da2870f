import fc from 'fast-check';
import { readMatrix } from './matrix';
import { readMatrixText } from './matrixText';
import type { RangeSeries } from './types';

/** What the client read before: JSON.parse, a successful envelope, readMatrix; undefined where that refuses. */
function generalWay(text: string): RangeSeries[] | undefined {
  try {
    const body = JSON.parse(text) as { status?: unknown; data?: unknown };
    return body?.status === 'success' ? readMatrix(body.data) : undefined;
  } catch {
    return undefined;
  }
}

const answer = (result: unknown[]) => JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } });

// Label names and values as Prometheus has them, plus any string (quotes, escapes, control characters, other scripts).
const text = fc.oneof(
  fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:.\-/ ]{0,8}$/),
  fc.string({ maxLength: 4 }),
  fc.string({ unit: 'grapheme', maxLength: 3 })
);
const time = fc.oneof(
  fc.integer({ min: 0, max: 2e9 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }),
  fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }).map((ms) => ms / 1000)
);
// Values as Prometheus and VictoriaMetrics write them (a JSON number, NaN, ±Inf), and others no server writes.
const value = fc.oneof(
  fc.constantFrom(
    'NaN',
    '+Inf',
    '-Inf',
    'Inf',
    'Infinity',
    '1e+06',
    '1e-07',
    '0',
    '-0.5',
    '',
    'x',
    ' 7',
    '0x10',
    '1e309'
  ),
  fc.double().map(String),
  fc.string({ maxLength: 3 })
);

/** Whether a server writes `text` as a value: a finite JSON number, NaN, +Inf or -Inf. */
function isWrittenValue(text: string): boolean {
  const number = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
  return ['NaN', '+Inf', '-Inf'].includes(text) || (number.test(text) && Number.isFinite(Number(text)));
}
const series = fc.record({
  metric: fc.dictionary(text, text, { maxKeys: 4 }),
  values: fc.array(fc.tuple(time, value), { maxLength: 5 }),
});

describe('readMatrixText', () => {
  it('reads a query_range answer as Prometheus writes it, NaN and ±Inf included', () => {
    const [a, b] = readMatrixText(
      '{"status":"success","data":{"resultType":"matrix","result":[' +
        '{"metric":{"__name__":"up","instance":"a:9100"},"values":[[1700000000,"1"],[1700000060.5,"NaN"],[1700000121,"+Inf"],[1700000180,"-Inf"],[1700000300,"1e+03"]]},' +
        '{"metric":{},"values":[]}]}}'
    )!;
    expect(a.labels).toEqual({ __name__: 'up', instance: 'a:9100' });
    expect([...a.timestamps]).toEqual([1700000000000, 1700000060500, 1700000121000, 1700000180000, 1700000300000]);
    expect([...a.values]).toEqual([1, NaN, Infinity, -Infinity, 1000]);
    expect(b).toEqual({ labels: {}, timestamps: new Float64Array(0), values: new Float64Array(0) });
    expect(readMatrixText('{"status":"success","data":{"resultType":"matrix","result":[]}}')).toEqual([]);
  });

  it.each([
    ['warnings', '{"status":"success","data":{"resultType":"matrix","result":[]},"warnings":["w"]}'],
    ['histograms', '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"histograms":[]}]}}'],
    ['a space', '{"status":"success", "data":{"resultType":"matrix","result":[]}}'],
    [
      'an escaped label',
      '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"\\"x"},"values":[]}]}}',
    ],
    [
      'a __proto__ label',
      '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__proto__":"x"},"values":[]}]}}',
    ],
    ['an error', '{"status":"error","errorType":"bad_data","error":"parse error"}'],
    ['a cut answer', '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"]'],
    [
      'a time that is a string',
      '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[["1","1"]]}]}}',
    ],
    ['text after the answer', '{"status":"success","data":{"resultType":"matrix","result":[]}}x'],
  ])('leaves an answer with %s to the general way', (_, body) => {
    expect(readMatrixText(body)).toBeUndefined();
  });

  it.each([
    ['a value that is not a number', '[[1,"abc"]]'],
    ['an empty value', '[[1,""]]'],
    ['a spaced value', '[[1," 7 "]]'],
    ['a hexadecimal value', '[[1,"0x10"]]'],
    ['a JavaScript infinity', '[[1,"Infinity"]]'],
    ['a value too large for a double', '[[1,"1e309"]]'],
    ['a time too large for a double', '[[1e400,"1"]]'],
  ])('leaves %s to the general way, which refuses it by position', (_, values) => {
    const body = `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":${values}}]}}`;
    expect(readMatrixText(body)).toBeUndefined();
    expect(() => readMatrix((JSON.parse(body) as { data: unknown }).data)).toThrow(
      /^Prometheus answered query_range with an unexpected (value|time) at result\.0\.values\.0\.[01]: /
    );
  });

  it('reads every answer it accepts as JSON.parse and readMatrix do, and accepts every plain one', () => {
    fc.assert(
      fc.property(fc.array(series, { maxLength: 4 }), (result) => {
        const body = answer(result);
        const fast = readMatrixText(body);
        const plain =
          !/[\\\u0000-\u001f]/.test(body) &&
          !result.some((s) => '__proto__' in s.metric) &&
          result.every((s) => s.values.every(([, v]) => isWrittenValue(v)));
        if (plain) {
          expect(fast).toBeDefined();
        }
        if (fast !== undefined) {
          expect(fast).toEqual(generalWay(body));
        }
      }),
      { numRuns: 1500, seed: 16 }
    );
  });

  it('never accepts a damaged answer the general way refuses, nor reads one differently', () => {
    const damage = fc.tuple(
      fc.array(series, { minLength: 1, maxLength: 3 }),
      fc.nat(),
      fc.constantFrom('delete', 'replace', 'insert'),
      fc.constantFrom(...'{}[],:"\\0123456789.eE+-aNI n'.split(''))
    );
    fc.assert(
      fc.property(damage, ([result, at, how, c]) => {
        const body = answer(result);
        const i = at % body.length;
        const damaged =
          how === 'delete'
            ? body.slice(0, i) + body.slice(i + 1)
            : body.slice(0, i) + c + body.slice(how === 'replace' ? i + 1 : i);
        const fast = readMatrixText(damaged);
        if (fast !== undefined) {
          expect(fast).toEqual(generalWay(damaged));
        }
      }),
      { numRuns: 3000, seed: 16 }
    );
  });

  it('reads a long series past its first scratch space', () => {
    const values = Array.from({ length: 5000 }, (_, i) => [1700000000 + 60 * i, String(i)]);
    const [s] = readMatrixText(answer([{ metric: { a: 'b' }, values }]))!;
    expect(s.timestamps.length).toBe(5000);
    expect(s.timestamps[4999]).toBe((1700000000 + 60 * 4999) * 1000);
    expect(s.values[4999]).toBe(4999);
  });
});
