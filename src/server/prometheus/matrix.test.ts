import fc from 'fast-check';
import { readMatrix } from './matrix';
import { matrixSchema } from './schemas';
import { PrometheusError, type RangeSeries } from './types';

/**
 * A sample value as Prometheus writes one (util/jsonutil MarshalValue: strconv.AppendFloat 'f' or,
 * below 1e-6 and from 1e21, 'e'; NaN and ±Inf as words), a JSON number in a string otherwise.
 */
function isPrometheusValue(text: string): boolean {
  const number = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
  return ['NaN', '+Inf', '-Inf'].includes(text) || (number.test(text) && Number.isFinite(Number(text)));
}

/** What the client did before the hand check: the schema for the shape, then each sample checked. */
function bySchema(data: unknown): RangeSeries[] | string {
  const parsed = matrixSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `unexpected shape at ${issue.path.join('.') || 'the top level'}: ${issue.message}`;
  }
  const out: RangeSeries[] = [];
  for (const [s, series] of parsed.data.result.entries()) {
    const values = series.values ?? [];
    for (const [i, sample] of values.entries()) {
      if (!Array.isArray(sample) || sample.length !== 2) {
        return `unexpected shape at result.${s}.values.${i}:`;
      }
      if (typeof sample[0] !== 'number') {
        return `unexpected shape at result.${s}.values.${i}.0:`;
      }
      if (typeof sample[1] !== 'string') {
        return `unexpected shape at result.${s}.values.${i}.1:`;
      }
      if (!Number.isFinite(sample[0] * 1000)) {
        return `unexpected time at result.${s}.values.${i}.0:`;
      }
      if (!isPrometheusValue(sample[1])) {
        return `unexpected value at result.${s}.values.${i}.1:`;
      }
    }
    out.push({
      labels: series.metric,
      timestamps: Float64Array.from(values, (v) => Math.round((v as [number, string])[0] * 1000)),
      values: Float64Array.from(values, (v) => {
        const text = (v as [number, string])[1];
        return text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text);
      }),
    });
  }
  return out;
}

function refusal(data: unknown): PrometheusError {
  try {
    readMatrix(data);
  } catch (err) {
    if (err instanceof PrometheusError) {
      return err;
    }
    throw err;
  }
  throw new Error('readMatrix accepted the answer');
}

const matrix = (result: unknown) => ({ resultType: 'matrix', result });

describe('readMatrix', () => {
  it('reads series as typed arrays, with the strings Prometheus sends for NaN and ±Inf', () => {
    const [a, b] = readMatrix(
      matrix([
        {
          metric: { __name__: 'up', instance: 'a' },
          values: [
            [1700000000, '1'],
            [1700000060.5, 'NaN'],
            [1700000121, '+Inf'],
            [1700000180, '-Inf'],
            [1700000240, '1e-07'],
            [1700000300, '1e+3'],
          ],
        },
        { metric: {}, histograms: [[1, {}]] },
      ])
    );
    expect(a.labels).toEqual({ __name__: 'up', instance: 'a' });
    expect([...a.timestamps]).toEqual([
      1700000000000, 1700000060500, 1700000121000, 1700000180000, 1700000240000, 1700000300000,
    ]);
    expect([...a.values]).toEqual([1, NaN, Infinity, -Infinity, 1e-7, 1000]);
    expect(b.timestamps.length).toBe(0);
    expect(b.values.length).toBe(0);
  });

  it.each([
    ['not an object', null, 'at the top level'],
    ['an array', [], 'at the top level'],
    ['another result type', { resultType: 'vector', result: [] }, 'at resultType'],
    ['no result', { resultType: 'matrix' }, 'at result:'],
    ['a result that is not a list', matrix({}), 'at result:'],
    ['a series that is not an object', matrix([null]), 'at result.0:'],
    ['a series that is a list', matrix([[]]), 'at result.0:'],
    ['no labels', matrix([{ values: [] }]), 'at result.0.metric:'],
    ['labels that are a list', matrix([{ metric: ['a'], values: [] }]), 'at result.0.metric:'],
    ['a label that is not a string', matrix([{ metric: { a: 'x' } }, { metric: { a: 1 } }]), 'at result.1.metric.a:'],
    ['values that are null', matrix([{ metric: {}, values: null }]), 'at result.0.values:'],
    ['values that are an object', matrix([{ metric: {}, values: {} }]), 'at result.0.values:'],
    ['a sample with a string time', matrix([{ metric: {}, values: [['1', '1']] }]), 'at result.0.values.0.0:'],
    [
      'a sample with a number value',
      matrix([
        {
          metric: {},
          values: [
            [1, '1'],
            [2, 2],
          ],
        },
      ]),
      'at result.0.values.1.1:',
    ],
    ['a sample that is not a pair', matrix([{ metric: {}, values: [[1]] }]), 'at result.0.values.0:'],
    ['a sample that is NaN itself', matrix([{ metric: {}, values: [NaN] }]), 'at result.0.values.0:'],
  ])('refuses %s as the schema does, naming where', (_, data, where) => {
    const error = refusal(data);
    expect(error.kind).toBe('malformed');
    expect(error.message).toContain(`Prometheus answered query_range with an unexpected shape ${where}`);
    expect(error.message).toContain(bySchema(data) as string);
  });

  it('reads every form Prometheus, Thanos, Mimir and VictoriaMetrics write a value in', () => {
    const written = ['0', '-0', '1', '-2.5', '0.000001', '1e-07', '1.5e+21', '1e+06', '1E6', '123456789.125', '5e-324'];
    const [series] = readMatrix(matrix([{ metric: {}, values: written.map((v, i) => [i, v]) }]));
    expect([...series.values]).toEqual([0, -0, 1, -2.5, 0.000001, 1e-7, 1.5e21, 1e6, 1e6, 123456789.125, 5e-324]);
  });

  it.each([
    ['not a number', 'abc'],
    ['empty', ''],
    ['spaced', ' 7 '],
    ['hexadecimal', '0x10'],
    ['JavaScript infinity', 'Infinity'],
    ['Inf without its sign', 'Inf'],
    ['lower-case nan', 'nan'],
    ['a leading plus', '+1'],
    ['a leading zero', '01'],
    ['a bare point', '1.'],
    ['an underscore', '1_000'],
    ['a number too large for a double', '1e309'],
  ])('refuses a value that is %s, naming where it is', (_, value) => {
    const error = refusal(
      matrix([
        { metric: {}, values: [[1, '1']] },
        {
          metric: {},
          values: [
            [1, '1'],
            [2, value],
          ],
        },
      ])
    );
    expect(error.kind).toBe('malformed');
    expect(error.message).toBe(
      `Prometheus answered query_range with an unexpected value at result.1.values.1.1: ${JSON.stringify(value)}, not a decimal number, NaN, +Inf or -Inf in a string`
    );
  });

  it.each([
    ['infinite', Infinity],
    ['infinite once in milliseconds', 1e306],
  ])('refuses a time that is %s, naming where it is', (_, time) => {
    const error = refusal(matrix([{ metric: {}, values: [[time, '1']] }]));
    expect(error.kind).toBe('malformed');
    expect(error.message).toBe(
      `Prometheus answered query_range with an unexpected time at result.0.values.0.0: ${time}, not a finite time in seconds`
    );
  });

  it('accepts and refuses exactly what the schema and the sample check did, with the same result', () => {
    const label = fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.constant(null));
    const sample = fc.oneof(
      fc.tuple(
        fc.oneof(fc.double({ noNaN: true, min: 0, max: 2e9 }), fc.constant(Infinity), fc.string()),
        fc.oneof(
          fc.constantFrom('NaN', '+Inf', '-Inf', 'Inf', '1.5', '1e+06', '-0', 'x', '', ' 7', '0x10'),
          fc.integer()
        )
      ),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.constant(null)
    );
    const series = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record(
          {
            metric: fc.dictionary(fc.string({ maxLength: 3 }), label, { maxKeys: 3 }),
            values: fc.array(sample, { maxLength: 3 }),
          },
          { requiredKeys: ['metric'] }
        ),
      },
      {
        weight: 1,
        arbitrary: fc.oneof(
          fc.constant(null),
          fc.array(fc.integer(), { maxLength: 1 }),
          fc.record({ values: fc.constant(null) })
        ),
      }
    );
    const data = fc.oneof(
      { weight: 8, arbitrary: fc.array(series, { maxLength: 4 }).map(matrix) },
      {
        weight: 1,
        arbitrary: fc.oneof(
          fc.constant(null),
          fc.record({
            resultType: fc.constantFrom('vector', 'matrix'),
            result: fc.oneof(fc.constant({}), fc.constant([])),
          })
        ),
      }
    );
    fc.assert(
      fc.property(data, (answer) => {
        const expected = bySchema(answer);
        if (typeof expected === 'string') {
          expect(refusal(answer).message).toContain(expected);
        } else {
          expect(readMatrix(answer)).toEqual(expected);
        }
      }),
      { numRuns: 2000, seed: 16 }
    );
  });
});
