import type { z } from 'zod';

/** One series of a range query, in the shape the detection library reads. */
export interface RangeSeries {
  labels: Record<string, string>;
  /** Epoch milliseconds, increasing. */
  timestamps: Float64Array;
  /** NaN where Prometheus answered NaN; ±Infinity kept as such. */
  values: Float64Array;
}

export interface InstantSample {
  labels: Record<string, string>;
  timestamp: number;
  value: number;
}

export type PrometheusErrorKind =
  /** Prometheus understood the request and refused it (bad PromQL, too many points, ...). */
  | 'query'
  /** An HTTP status without a Prometheus error body (proxy errors, 5xx from a load balancer). */
  | 'http'
  /** The answer was not the JSON Prometheus' API documents. */
  | 'malformed'
  /** The answer passed the size limit and was aborted while it was read. */
  | 'too_large'
  | 'timeout'
  /** Nothing answered: connection refused, DNS, TLS. */
  | 'unreachable';

export class PrometheusError extends Error {
  constructor(
    readonly kind: PrometheusErrorKind,
    message: string,
    readonly status?: number,
    /** Prometheus' errorType (bad_data, timeout, execution, ...) when it sent one. */
    readonly errorType?: string
  ) {
    super(message);
    this.name = 'PrometheusError';
  }

  /** Worth retrying: the same request may succeed later. */
  get transient(): boolean {
    return (
      this.kind === 'timeout' ||
      this.kind === 'unreachable' ||
      (this.status !== undefined && this.status >= 500) ||
      this.errorType === 'timeout' ||
      this.status === 429
    );
  }
}

/** A refused answer's error: where its first fault is (the schema's first issue) and what was expected. */
export function malformedAnswer(what: string, error: z.ZodError): PrometheusError {
  const issue = error.issues[0];
  return new PrometheusError(
    'malformed',
    `Prometheus answered ${what} with an unexpected shape at ${issue.path.join('.') || 'the top level'}: ${issue.message}`
  );
}
