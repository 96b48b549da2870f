import fc from 'fast-check';
import { readMatrix } from './matrix';
import { matrixSchema } from './schemas';
import { PrometheusError, type RangeSeries } from './types';

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
    }
    out.push({
      labels: series.metric,
      timestamps: Float64Array.from(values, (v) => Math.round((v as [number, string])[0] * 1000)),
      values: Float64Array.from(values, (v) => {
        const text = (v as [number, string])[1];
        return text === 'NaN'
          ? NaN
          : text === '+Inf' || text === 'Inf'
            ? Infinity
            : text === '-Inf'
              ? -Infinity
              : Number(text);
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
            [1700000240, 'Inf'],
            [1700000300, '1e3'],
          ],
        },
        { metric: {}, histograms: [[1, {}]] },
      ])
    );
    expect(a.labels).toEqual({ __name__: 'up', instance: 'a' });
    expect([...a.timestamps]).toEqual([
      1700000000000, 1700000060500, 1700000121000, 1700000180000, 1700000240000, 1700000300000,
    ]);
    expect([...a.values]).toEqual([1, NaN, Infinity, -Infinity, Infinity, 1000]);
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

  it('accepts and refuses exactly what the schema and the sample check did, with the same result', () => {
    const label = fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.constant(null));
    const sample = fc.oneof(
      fc.tuple(
        fc.oneof(fc.double({ noNaN: true, min: 0, max: 2e9 }), fc.string()),
        fc.oneof(fc.constantFrom('NaN', '+Inf', '-Inf', 'Inf', '1.5', 'x'), fc.integer())
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
