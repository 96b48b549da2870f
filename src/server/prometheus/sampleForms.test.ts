import { PrometheusClient } from './client';
import { PrometheusError } from './types';

/** A client whose Prometheus answers `body` to every request. */
function answering(body: string): PrometheusClient {
  return new PrometheusClient({
    baseUrl: 'http://prometheus:9090',
    timeoutMs: 1000,
    fetch: (async () => new Response(body, { status: 200 })) as typeof fetch,
  });
}

const range = (values: string) =>
  `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a"},"values":${values}}]}}`;
const vector = (value: string) =>
  `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"a"},"value":${value}}]}}`;

async function refusal(answer: Promise<unknown>): Promise<PrometheusError> {
  try {
    await answer;
  } catch (err) {
    if (err instanceof PrometheusError) {
      return err;
    }
    throw err;
  }
  throw new Error('the answer was accepted');
}

const queryRange = (client: PrometheusClient) =>
  client.queryRange({ query: 'x', start: 0, end: 60_000, stepMs: 60_000 });

describe('sample values and times as Prometheus writes them', () => {
  it('reads the forms Prometheus and VictoriaMetrics write, in a range answer and an instant one', async () => {
    // Prometheus' own text (read straight into arrays) and the same with a space (read the general way).
    const values = '[[1,"NaN"],[2,"+Inf"],[3,"-Inf"],[4,"1e-07"],[5,"1e+06"],[6,"-0"],[7,"0.25"],[1700000000.123,"2"]]';
    for (const body of [range(values), range(values).replace('"values":', '"values": ')]) {
      const [series] = await queryRange(answering(body));
      expect([...series.values]).toEqual([NaN, Infinity, -Infinity, 1e-7, 1e6, -0, 0.25, 2]);
      expect([...series.timestamps]).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 1700000000123]);
    }
    expect(await answering(vector('[1700000000.5,"1.5e+21"]')).query('x')).toEqual([
      { labels: { job: 'a' }, timestamp: 1700000000500, value: 1.5e21 },
    ]);
    expect(
      await answering('{"status":"success","data":{"resultType":"scalar","result":[1,"-Inf"]}}').query('x')
    ).toEqual([{ labels: {}, timestamp: 1000, value: -Infinity }]);
  });

  it.each(['abc', '', ' 7 ', '0x10', 'Infinity', 'Inf', '1e309', '+1', '.5'])(
    'refuses the value %j as a malformed answer naming its place, where Number() read a number',
    async (value) => {
      const body = range(`[[1,"1"],[2,${JSON.stringify(value)}]]`);
      const error = await refusal(queryRange(answering(body)));
      expect(error.kind).toBe('malformed');
      expect(error.message).toContain(`at result.0.values.1.1: ${JSON.stringify(value)}, not a decimal number`);

      const instant = await refusal(answering(vector(`[1,${JSON.stringify(value)}]`)).query('x'));
      expect(instant.kind).toBe('malformed');
      expect(instant.message).toContain(`at result.0.value.1: ${JSON.stringify(value)}, not a decimal number`);
    }
  );

  it('refuses a time that is not finite in milliseconds (1e400 is Infinity once parsed)', async () => {
    const error = await refusal(queryRange(answering(range('[[1,"1"],[1e400,"1"]]'))));
    expect(error.kind).toBe('malformed');
    expect(error.message).toContain('at result.0.values.1.0: Infinity, not a finite time in seconds');

    // zod's number refuses Infinity itself; 1e306 s is finite, but not in milliseconds.
    const instant = await refusal(answering(vector('[1e400,"1"]')).query('x'));
    expect(instant.kind).toBe('malformed');
    expect(instant.message).toContain('at result.0.value.0: ');
    const tooLate = await refusal(answering(vector('[1e306,"1"]')).query('x'));
    expect(tooLate.kind).toBe('malformed');
    expect(tooLate.message).toContain('at result.0.value.0: 1e+306, not a finite time in seconds');
  });
});
