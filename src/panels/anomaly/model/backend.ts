import type { Anomaly, BandPoint, Target, TimeToFailure } from '../../../contract/pipeline';
import { departureOf } from '../../../contract/signalDepartures';
import type { AnomalyRange, Crossing, SeriesAnalysis, Side } from './analysis';
import type { PanelSeries } from './series';

/** What the backend knows about one panel series: its target, recent band points and anomalies. */
export interface BackendSeries {
  target: Target;
  signal: string;
  points: BandPoint[];
  anomalies: Anomaly[];
}

/** `watch/signal` split; undefined when the option is empty or malformed. */
export function parseBackendSignal(value: string | undefined): { watch: string; signal: string } | undefined {
  const m = /^\s*([^/\s]+)\/([^/\s]+)\s*$/.exec(value ?? '');
  return m ? { watch: m[1], signal: m[2] } : undefined;
}

/** The target whose labels all appear, with the same values, on the series (a target is a set of label values). */
export function matchTarget(series: PanelSeries, targets: Target[]): Target | undefined {
  return targets.find(
    (t) => Object.keys(t.labels).length > 0 && Object.entries(t.labels).every(([k, v]) => series.labels[k] === v)
  );
}

/**
 * The panel series with the backend's band, scores and anomalies. Band points are matched to the
 * panel's samples by nearest time within half a step, since the panel's step and the watch's step
 * may differ; samples the backend no longer keeps stay unknown rather than being made up. The
 * forecast path is the browser's; the crossing is only ever the backend's, and only when its
 * target's time to failure is this signal's: a browser guess here would read as the backend's.
 * When the target has none, its reason comes along.
 */
export function backendAnalysis(
  series: PanelSeries,
  backend: BackendSeries,
  browserForecast: SeriesAnalysis['forecast']
): SeriesAnalysis {
  const { score, expected, lower, upper } = alignBand(series.time, backend.points);
  const ranges = backend.anomalies
    // Named by how the signal departed ("memory (limit forecast)", "memory (stopped)"), not only its band.
    .filter((a) => a.signals.length === 0 || a.signals.some((label) => departureOf(label).signal === backend.signal))
    .map((a) => toRange(a, series, expected));
  const ttf = backend.target.timeToFailure;
  const crossing = ttf?.signal === backend.signal ? toCrossing(ttf) : undefined;
  const forecast = browserForecast ? { path: browserForecast.path, crossing } : undefined;
  const noForecast = ttf ? undefined : backend.target.noForecast;
  return {
    series,
    source: 'backend',
    score,
    expected,
    lower,
    upper,
    ranges,
    forecast,
    ...(noForecast ? { noForecast } : {}),
  };
}

export function alignBand(
  time: Float64Array,
  points: BandPoint[]
): Pick<SeriesAnalysis, 'score' | 'expected' | 'lower' | 'upper'> {
  const n = time.length;
  const score = new Float64Array(n).fill(NaN);
  const expected = new Float64Array(n).fill(NaN);
  const lower = new Float64Array(n).fill(NaN);
  const upper = new Float64Array(n).fill(NaN);
  if (points.length === 0) {
    return { score, expected, lower, upper };
  }
  const sorted = [...points].sort((a, b) => a.t - b.t);
  const tolerance = Math.max(halfStep(sorted.map((p) => p.t)), halfStep(time));
  let j = 0;
  for (let i = 0; i < n; i++) {
    while (j + 1 < sorted.length && Math.abs(sorted[j + 1].t - time[i]) <= Math.abs(sorted[j].t - time[i])) {
      j++;
    }
    const p = sorted[j];
    if (Math.abs(p.t - time[i]) <= tolerance) {
      score[i] = p.score;
      expected[i] = p.expected ?? NaN;
      lower[i] = p.lower ?? NaN;
      upper[i] = p.upper ?? NaN;
    }
  }
  return { score, expected, lower, upper };
}

function toRange(a: Anomaly, series: PanelSeries, expected: Float64Array): AnomalyRange {
  return {
    startMs: a.start,
    endMs: a.end,
    // Episodes stored before peaks were recorded have none: their start stands in.
    peakMs: a.peak?.at ?? a.start,
    peakScore: a.peakScore,
    side: a.direction === 'none' ? sideAt(series, expected, a.start) : a.direction,
    severity: a.severity,
    failureModel: a.failureModel,
    state: a.state,
  };
}

/** The side at the anomaly's start when the backend did not say (its peak was another signal). */
function sideAt(series: PanelSeries, expected: Float64Array, ms: number): Side {
  let i = 0;
  while (i + 1 < series.time.length && series.time[i] < ms) {
    i++;
  }
  return series.values[i] < expected[i] ? 'below' : 'above';
}

function toCrossing(ttf: TimeToFailure): Crossing {
  const at = (s: number | null) => (s === null ? Infinity : ttf.fromMs + s * 1000);
  return {
    source: 'backend',
    limit: ttf.limit,
    direction: ttf.direction,
    atMs: at(ttf.seconds),
    earliestMs: at(ttf.lowerSeconds),
    latestMs: at(ttf.upperSeconds),
    fromMs: ttf.fromMs,
    seconds: ttf.seconds,
    ...(ttf.stepMs !== undefined ? { stepMs: ttf.stepMs } : {}),
  };
}

function halfStep(times: ArrayLike<number>): number {
  return times.length > 1 ? Math.abs(times[times.length - 1] - times[times.length - 2]) / 2 : 0;
}
