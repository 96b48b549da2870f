import { z } from 'zod';
import { messageOf } from '../../utils/messageOf';
import { DEFAULT_MAX_RESPONSE_BYTES, readBoundedText, ResponseTooLargeError } from './bounded';
import { redactUserinfo, splitUserinfo } from './credentials';
import { envelopeSchema, instantDataSchema, matrixSchema } from './schemas';
import { PrometheusError, type InstantSample, type RangeSeries } from './types';

export interface PrometheusClientOptions {
  /** Base URL of a Prometheus-compatible API, e.g. http://prometheus:9090 or a Grafana data-source proxy URL. */
  baseUrl: string;
  timeoutMs: number;
  /** Extra headers on every request (e.g. Authorization for Grafana's data-source proxy). */
  headers?: Record<string, string>;
  /** Larger answers are aborted while they are read (default 32 MiB). */
  maxResponseBytes?: number;
  fetch?: typeof fetch;
}

export interface RangeQuery {
  query: string;
  /** Epoch milliseconds, inclusive. */
  start: number;
  end: number;
  stepMs: number;
}

/** A typed client for Prometheus' HTTP API (query, query_range, readiness). */
export class PrometheusClient {
  private readonly requestUrl: string;
  /** What logs, errors and the API show: the URL without its password. */
  private readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly maxResponseBytes: number;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: PrometheusClientOptions) {
    const { url, authorization } = splitUserinfo(options.baseUrl);
    this.requestUrl = url.replace(/\/+$/, '');
    this.baseUrl = redactUserinfo(options.baseUrl).replace(/\/+$/, '');
    this.headers = { ...(authorization ? { Authorization: authorization } : {}), ...options.headers };
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** The base URL as it may be shown (no password). */
  get url(): string {
    return this.baseUrl;
  }

  async queryRange(q: RangeQuery): Promise<RangeSeries[]> {
    const data = await this.call('/api/v1/query_range', {
      query: q.query,
      start: formatTime(q.start),
      end: formatTime(q.end),
      step: String(q.stepMs / 1000),
    });
    const parsed = matrixSchema.safeParse(data);
    if (!parsed.success) {
      throw malformed('query_range', parsed.error);
    }
    return parsed.data.result.map((series, s) => {
      const values = series.values ?? [];
      const timestamps = new Float64Array(values.length);
      const samples = new Float64Array(values.length);
      // Checked by hand: a zod tuple per sample costs as much as parsing the JSON itself.
      for (let i = 0; i < values.length; i++) {
        const sample = values[i];
        if (!isSample(sample)) {
          throw new PrometheusError(
            'malformed',
            `Prometheus answered query_range with an unexpected shape at result.${s}.values.${i}${sampleFault(sample)}: a [time, "value"] pair`
          );
        }
        const [t, v] = sample;
        timestamps[i] = Math.round(t * 1000);
        samples[i] = parseSampleValue(v);
      }
      return { labels: series.metric, timestamps, values: samples };
    });
  }

  /** An instant query; a scalar answer comes back as one sample without labels. */
  async query(query: string, time?: number): Promise<InstantSample[]> {
    const params: Record<string, string> = { query };
    if (time !== undefined) {
      params.time = formatTime(time);
    }
    const data = await this.call('/api/v1/query', params);
    const parsed = instantDataSchema.safeParse(data);
    if (!parsed.success) {
      throw malformed('query', parsed.error);
    }
    const answer = parsed.data;
    switch (answer.resultType) {
      case 'vector':
        return answer.result.flatMap(({ metric, value }) =>
          value ? [{ labels: metric, timestamp: Math.round(value[0] * 1000), value: parseSampleValue(value[1]) }] : []
        );
      case 'scalar':
        return [
          { labels: {}, timestamp: Math.round(answer.result[0] * 1000), value: parseSampleValue(answer.result[1]) },
        ];
      case 'matrix':
        throw new PrometheusError('malformed', 'an instant query answered a range vector: use query_range for it');
      case 'string':
        throw new PrometheusError('malformed', 'the query answered a string, not a number');
    }
  }

  /** Resolves when the server answers its readiness endpoint or a trivial query. */
  async ping(): Promise<void> {
    await this.query('vector(1)');
  }

  private async call(path: string, params: Record<string, string>): Promise<unknown> {
    const url = `${this.requestUrl}${path}`;
    const tooLarge = new AbortController();
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Accept: 'application/json',
          ...this.headers,
        },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.any([tooLarge.signal, AbortSignal.timeout(this.options.timeoutMs)]),
      });
    } catch (err) {
      throw transportError(err, this.baseUrl, this.options.timeoutMs);
    }
    let text: string;
    try {
      text = await readBoundedText(response, this.maxResponseBytes, () => tooLarge.abort());
    } catch (err) {
      if (err instanceof ResponseTooLargeError) {
        throw new PrometheusError(
          'too_large',
          `Prometheus at ${this.baseUrl}: ${err.message}; narrow the query or raise prometheus.maxResponseBytes`,
          response.status
        );
      }
      throw transportError(err, this.baseUrl, this.options.timeoutMs);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      if (!response.ok) {
        throw new PrometheusError(
          'http',
          `Prometheus at ${this.baseUrl} answered HTTP ${response.status}: ${snippet(text)}`,
          response.status
        );
      }
      throw new PrometheusError(
        'malformed',
        `Prometheus at ${this.baseUrl} answered something that is not JSON: ${snippet(text)}`,
        response.status
      );
    }
    const envelope = envelopeSchema.safeParse(body);
    if (!envelope.success) {
      if (!response.ok) {
        throw new PrometheusError(
          'http',
          `Prometheus at ${this.baseUrl} answered HTTP ${response.status}: ${snippet(text)}`,
          response.status
        );
      }
      throw malformed(path, envelope.error);
    }
    if (envelope.data.status === 'error') {
      const errorType = envelope.data.errorType ?? 'unknown';
      throw new PrometheusError(
        'query',
        `Prometheus refused the query (${errorType}): ${envelope.data.error ?? 'no message'}`,
        response.status,
        errorType
      );
    }
    if (!response.ok) {
      throw new PrometheusError(
        'http',
        `Prometheus at ${this.baseUrl} answered HTTP ${response.status}`,
        response.status
      );
    }
    return envelope.data.data;
  }
}

/** A range sample as Prometheus documents it: [time in seconds, "value"]. */
function isSample(sample: unknown): sample is [number, string] {
  return Array.isArray(sample) && sample.length === 2 && typeof sample[0] === 'number' && typeof sample[1] === 'string';
}

/** Where a value that is not a sample departs from `[time, "value"]`: the pair itself, its time or its value. */
function sampleFault(sample: unknown): string {
  if (!Array.isArray(sample) || sample.length !== 2) {
    return '';
  }
  return typeof sample[0] !== 'number' ? '.0' : '.1';
}

/** Prometheus encodes sample values as strings so that NaN and ±Inf survive JSON. */
export function parseSampleValue(text: string): number {
  switch (text) {
    case 'NaN':
      return NaN;
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    default:
      return Number(text);
  }
}

function formatTime(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function snippet(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine || '(empty body)';
}

function malformed(what: string, error: z.ZodError): PrometheusError {
  const issue = error.issues[0];
  return new PrometheusError(
    'malformed',
    `Prometheus answered ${what} with an unexpected shape at ${issue.path.join('.') || 'the top level'}: ${issue.message}`
  );
}

/** What a failed fetch says about itself: its name, and the socket error in its cause (checked, not cast). */
const transportShape = z.object({
  name: z.string().optional(),
  cause: z.object({ code: z.string().optional(), message: z.string().optional() }).optional().catch(undefined),
});

function transportError(err: unknown, baseUrl: string, timeoutMs: number): PrometheusError {
  const error = transportShape.safeParse(err);
  const name = error.success ? error.data.name : undefined;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new PrometheusError('timeout', `Prometheus at ${baseUrl} did not answer within ${timeoutMs} ms`);
  }
  // fetch's own message is "fetch failed": the socket's code or message, in its cause, says why.
  const cause = error.success ? (error.data.cause?.code ?? error.data.cause?.message) : undefined;
  const why = cause ?? messageOf(err);
  return new PrometheusError('unreachable', `Prometheus at ${baseUrl} is unreachable: ${why}`);
}
