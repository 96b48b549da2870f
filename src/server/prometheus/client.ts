import { z } from 'zod';
import { messageOf } from '../../utils/messageOf';
import { type Clock, systemClock } from '../clock';
import { DEFAULT_MAX_RESPONSE_BYTES, NO_REDIRECTS, readBoundedText, ResponseTooLargeError } from './bounded';
import { redactUserinfo, splitUserinfo } from './credentials';
import { counted } from '../../utils/count';
import { histogramSeries, readMatrix } from './matrix';
import { readMatrixText } from './matrixText';
import { envelopeSchema, instantDataSchema } from './schemas';
import { malformedAnswer, PrometheusError, type InstantSample, type RangeSeries } from './types';

export interface PrometheusClientOptions {
  /** Base URL of a Prometheus-compatible API, e.g. http://prometheus:9090 or a Grafana data-source proxy URL. */
  baseUrl: string;
  timeoutMs: number;
  /** Extra headers on every request (e.g. Authorization for Grafana's data-source proxy). */
  headers?: Record<string, string>;
  /** Larger answers are aborted while they are read (default 32 MiB). */
  maxResponseBytes?: number;
  fetch?: typeof fetch;
  /** Whose time the request timeout runs on (default the system's; the server passes its one clock). */
  clock?: Pick<Clock, 'after'>;
  /**
   * Told the warnings of each range answer read, with its query (none: an empty list): Prometheus'
   * `warnings` and `infos` (e.g. a partial answer), and native histogram samples, which are not scored.
   */
  onWarnings?: (query: string, warnings: string[]) => void;
}

/** Told what one range answer warns of (none: an empty list). */
export type WarningsHeard = (warnings: string[]) => void;

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
  private readonly clock: Pick<Clock, 'after'>;

  constructor(private readonly options: PrometheusClientOptions) {
    const { url, authorization } = splitUserinfo(options.baseUrl);
    this.requestUrl = url.replace(/\/+$/, '');
    this.baseUrl = redactUserinfo(options.baseUrl).replace(/\/+$/, '');
    this.headers = {
      ...acceptedEncoding(url),
      ...(authorization ? { Authorization: authorization } : {}),
      ...options.headers,
    };
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.fetchImpl = options.fetch ?? fetch;
    this.clock = options.clock ?? systemClock;
  }

  /** The base URL as it may be shown (no password). */
  get url(): string {
    return this.baseUrl;
  }

  /**
   * A range query. `signal` aborts it, request and all (its socket is closed): it then rejects with
   * the signal's reason, not a PrometheusError, as the caller stopped waiting and Prometheus did not fail.
   * `heard` is told the answer's warnings, as onWarnings is (the caller's own: a watch shows its newest).
   */
  async queryRange(q: RangeQuery, signal?: AbortSignal, heard?: WarningsHeard): Promise<RangeSeries[]> {
    const path = '/api/v1/query_range';
    const params = {
      query: q.query,
      start: formatTime(q.start),
      end: formatTime(q.end),
      step: String(q.stepMs / 1000),
    };
    const { response, text } = await this.answer(path, params, signal);
    // Prometheus' own writing is read from the text; anything else the general way, which says what is wrong.
    const tell = (warnings: string[]) => {
      this.options.onWarnings?.(q.query, warnings);
      heard?.(warnings);
    };
    const fast = response.ok ? readMatrixText(text) : undefined;
    if (fast) {
      // Its text ends with the data: nothing to warn of.
      tell([]);
    }
    return fast ?? this.readRange(path, response, text, tell);
  }

  /** A range answer read the general way: its series; what it warns of is told to `tell`. */
  private readRange(path: string, response: Response, text: string, tell: WarningsHeard): RangeSeries[] {
    const { data, warnings } = this.envelope(path, response, text);
    const series = readMatrix(data);
    const histograms = histogramSeries(data);
    if (histograms > 0 && series.every((s) => s.timestamps.length === 0)) {
      throw new PrometheusError(
        'query',
        `the query answered native histograms (${counted(histograms, 'series', 'series')}), which are not scored: ask for numbers, e.g. histogram_quantile(0.9, …), histogram_count(…) or histogram_sum(…)`,
        response.status
      );
    }
    if (histograms > 0) {
      warnings.push(
        `${counted(histograms, 'series', 'series')} answered native histogram samples, which are not scored (their float samples are)`
      );
    }
    tell(warnings);
    return series;
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
      throw malformedAnswer('query', parsed.error);
    }
    const answer = parsed.data;
    switch (answer.resultType) {
      case 'vector':
        return answer.result.flatMap(({ metric, value }) =>
          value ? [{ labels: metric, timestamp: value[0], value: value[1] }] : []
        );
      case 'scalar':
        return [{ labels: {}, timestamp: answer.result[0], value: answer.result[1] }];
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
    const { response, text } = await this.answer(path, params);
    return this.envelope(path, response, text).data;
  }

  /**
   * The answer's text, read within the size limit; a transport failure or a too large answer as a
   * PrometheusError, and the caller's abort as its signal's reason.
   */
  private async answer(
    path: string,
    params: Record<string, string>,
    signal?: AbortSignal
  ): Promise<{ response: Response; text: string }> {
    signal?.throwIfAborted();
    const url = `${this.requestUrl}${path}`;
    // One controller, aborted by a timer of our own, by a too large answer, or by the caller's signal
    // through a listener removed when the request ends. Not AbortSignal.any(): on Node 20 an
    // AbortSignal.timeout() inside it can be garbage collected before it fires (nodejs/node#57736: a
    // request Prometheus never answered then held its watch for ever), and each one made of a
    // long-lived signal (the backend's stop, followed by every cycle's queries) stays among that
    // signal's dependants (nodejs/node#55351).
    const request = new AbortController();
    const cancelTimeout = this.clock.after(this.options.timeoutMs, () =>
      request.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))
    );
    const follow = () => request.abort(signal?.reason);
    signal?.addEventListener('abort', follow, { once: true });
    try {
      let response: Response;
      try {
        response = await this.fetchImpl(url, {
          method: 'POST',
          ...NO_REDIRECTS,
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            Accept: 'application/json',
            ...this.headers,
          },
          body: new URLSearchParams(params).toString(),
          signal: request.signal,
        });
      } catch (err) {
        throw signal?.aborted ? signal.reason : transportError(err, this.baseUrl, this.options.timeoutMs);
      }
      let text: string;
      try {
        text = await readBoundedText(response, this.maxResponseBytes, () => request.abort());
      } catch (err) {
        if (err instanceof ResponseTooLargeError) {
          throw new PrometheusError(
            'too_large',
            `Prometheus at ${this.baseUrl}: ${err.message}; narrow the query or raise prometheus.maxResponseBytes`,
            response.status
          );
        }
        throw signal?.aborted ? signal.reason : transportError(err, this.baseUrl, this.options.timeoutMs);
      }
      return { response, text };
    } finally {
      cancelTimeout();
      signal?.removeEventListener('abort', follow);
    }
  }

  /**
   * The envelope's data of a successful answer, with its warnings and infos; an HTTP error, an answer
   * that is not JSON or a refused query as a PrometheusError.
   */
  private envelope(path: string, response: Response, text: string): { data: unknown; warnings: string[] } {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      if (!response.ok) {
        throw this.httpError(response.status, text);
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
        throw this.httpError(response.status, text);
      }
      throw malformedAnswer(path, envelope.error);
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
      throw this.httpError(response.status);
    }
    const { data, warnings = [], infos = [] } = envelope.data;
    return { data, warnings: [...warnings, ...infos] };
  }

  /**
   * An HTTP error answer. A 404 most often means the URL is not Prometheus' base (a path such as
   * /api/v1 given with it, or another server): the message says what to give.
   */
  private httpError(status: number, text?: string): PrometheusError {
    const body = text === undefined ? '' : `: ${snippet(text)}`;
    const hint =
      status === 404
        ? `; give Prometheus' base URL (the one its web UI is served at, without /api/v1), e.g. http://prometheus:9090`
        : '';
    return new PrometheusError('http', `Prometheus at ${this.baseUrl} answered HTTP ${status}${body}${hint}`, status);
  }
}

/**
 * Over loopback an answer is asked for uncompressed: gzip saves no transfer there and costs both
 * ends CPU on the same machine (a 10,000-series answer, ~1 MB, took Prometheus ~10 ms more CPU to
 * compress and us ~10 ms to inflate). Elsewhere fetch's default (gzip) stands: the network costs more.
 */
function acceptedEncoding(url: string): Record<string, string> {
  return isLoopback(new URL(url).hostname) ? { 'Accept-Encoding': 'identity' } : {};
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function formatTime(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function snippet(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine || '(empty body)';
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
