import { isRecord } from '../../detection/shared/json';
import { parseSampleValue, quotedValue, SAMPLE_TIME_EXPECTED, SAMPLE_VALUE_EXPECTED, sampleTimeMs } from './sample';
import { matrixSchema } from './schemas';
import { malformedAnswer, PrometheusError, type RangeSeries } from './types';

/**
 * A query_range answer's data as series of typed arrays. The shape is checked by hand first (a
 * watch of 10,000 series gets 10,000 label sets every cycle, and the schema copies each one); an
 * answer the hand check refuses goes through matrixSchema, whose first issue names the fault, so
 * what is refused and what the error says are the schema's.
 */
export function readMatrix(data: unknown): RangeSeries[] {
  return (matrixResult(data) ?? checkedMatrix(data)).map((series, s) => {
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
      const time = sampleTimeMs(sample[0]);
      if (time === undefined) {
        throw new PrometheusError(
          'malformed',
          `Prometheus answered query_range with an unexpected time at result.${s}.values.${i}.0: ${sample[0]}, not ${SAMPLE_TIME_EXPECTED}`
        );
      }
      const value = parseSampleValue(sample[1]);
      if (value === undefined) {
        throw new PrometheusError(
          'malformed',
          `Prometheus answered query_range with an unexpected value at result.${s}.values.${i}.1: ${quotedValue(sample[1])}, not ${SAMPLE_VALUE_EXPECTED}`
        );
      }
      timestamps[i] = time;
      samples[i] = value;
    }
    return { labels: series.metric, timestamps, values: samples };
  });
}

/**
 * How many series of a range answer (already read by readMatrix) have native histogram samples:
 * Prometheus 2.40+ writes those under `histograms`, beside any float `values` (json_codec.go).
 */
export function histogramSeries(data: unknown): number {
  const result = isRecord(data) && Array.isArray(data.result) ? (data.result as unknown[]) : [];
  return result.filter((s) => isRecord(s) && Array.isArray(s.histograms) && s.histograms.length > 0).length;
}

interface MatrixSeries {
  metric: Record<string, string>;
  values?: unknown[];
}

/** The answer's series when it has matrixSchema's shape (samples not checked yet); undefined otherwise. */
function matrixResult(data: unknown): MatrixSeries[] | undefined {
  if (!isRecord(data) || data.resultType !== 'matrix' || !Array.isArray(data.result)) {
    return undefined;
  }
  const result: unknown[] = data.result;
  return result.every(isMatrixSeries) ? result : undefined;
}

function isMatrixSeries(series: unknown): series is MatrixSeries {
  return isRecord(series) && isLabels(series.metric) && (series.values === undefined || Array.isArray(series.values));
}

/** The answer's series as matrixSchema reads them, or the schema's first issue as a malformed answer. */
function checkedMatrix(data: unknown): MatrixSeries[] {
  const parsed = matrixSchema.safeParse(data);
  if (!parsed.success) {
    throw malformedAnswer('query_range', parsed.error);
  }
  return parsed.data.result;
}

function isLabels(value: unknown): value is Record<string, string> {
  if (!isRecord(value)) {
    return false;
  }
  for (const key in value) {
    if (typeof value[key] !== 'string') {
      return false;
    }
  }
  return true;
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
