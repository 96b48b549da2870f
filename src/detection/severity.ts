import { log10NormalTwoSided, scoreOfLog10 } from './calibration';
import { RECOMMENDED_THRESHOLD } from './threshold';

// The words of an assessment, declared once here; the contract builds its schemas from these lists.
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const FAILURE_MODELS = ['crash', 'resource_exhaustion', 'network_partition', 'byzantine'] as const;
export type FailureModel = (typeof FAILURE_MODELS)[number];
/** Which side of its learned band a signal left (none: inside). */
export const BAND_DIRECTIONS = ['above', 'below', 'none'] as const;
export type Direction = (typeof BAND_DIRECTIONS)[number];

/** What a signal measures; decides which failure model its movement points to. */
export type SignalKind =
  'up' | 'restarts' | 'cpu' | 'memory' | 'disk' | 'latency' | 'errors' | 'traffic' | 'temperature' | 'other';

/** One watched signal of a target at the current step. */
export interface SignalObservation {
  name: string;
  kind: SignalKind;
  /** Anomaly score in [0, 1]. */
  score: number;
  direction: Direction;
  /** Earliest plausible time until the signal's limit is crossed (the interval's lower bound; Infinity or absent: none). */
  timeToFailureSeconds?: number;
}

export interface AssessmentInput {
  signals: SignalObservation[];
  /** True when the target departs from its peers (PeerGroupDetector) while they stay normal. */
  peerOutlier?: boolean;
  /** Score at which a signal counts as moved (default RECOMMENDED_THRESHOLD). */
  threshold?: number;
}

export interface Assessment {
  severity: Severity;
  failureModel: FailureModel;
  /** Human-readable reasons, in the order they were applied. */
  reasons: string[];
}

/**
 * A limit whose earliest plausible crossing is this close is as good as reached: critical, and a
 * restart or stop then is the exhaustion itself (an out-of-memory kill), not a crash besides it.
 */
export const AT_LIMIT_SECONDS = 15 * 60;
/** A limit whose earliest plausible crossing is within the hour: high. */
export const NEAR_LIMIT_SECONDS = 3600;
/** A moved signal scoring this (a value about 10^-8 likely, calibration.ts) is very unlikely: high. */
export const VERY_UNLIKELY_SCORE = 0.8;
/** A crash whose signal scores this (about 10^-9 likely) is near-certain: critical. */
export const NEAR_CERTAIN_SCORE = 0.9;
export const RAN_OUT_REASON = 'the target restarted or stopped as a resource reached its limit';

/** The direction in which a signal of this kind does harm (a resource filling up, an error rate rising). */
const HARMFUL: Partial<Record<SignalKind, Exclude<Direction, 'none'>>> = {
  up: 'below',
  restarts: 'above',
  cpu: 'above',
  memory: 'above',
  disk: 'above',
  latency: 'above',
  errors: 'above',
};

/**
 * Severity and failure model from which signals moved, which way, what they measure, and how soon
 * a limit is crossed (the interval's lower bound). Rules, in the spirit of the four failure classes
 * of distributed systems (crash, omission or partition, resource exhaustion, arbitrary/byzantine):
 * a target that stops answering, restarts, or cools down (a machine that stopped) crashed, unless a
 * resource's limit is about to be crossed (then it ran out: exhaustion); latency or errors up without
 * more work is a partition; one replica unlike its siblings is byzantine; a resource rising towards
 * its limit (or heat rising) is exhaustion. A signal that only moved the harmless way for its kind
 * (memory freed, latency down) is low.
 */
export function assess(input: AssessmentInput): Assessment {
  const threshold = input.threshold ?? RECOMMENDED_THRESHOLD;
  const moved = input.signals.filter((s) => s.score >= threshold);
  const has = (kind: SignalKind, direction?: Exclude<Direction, 'none'>): boolean =>
    moved.some((s) => s.kind === kind && (direction === undefined || s.direction === direction));
  const ttf = Math.min(Infinity, ...input.signals.map((s) => s.timeToFailureSeconds ?? Infinity));
  const harmful = moved.filter((s) => HARMFUL[s.kind] === undefined || HARMFUL[s.kind] === s.direction);
  const maxScore = Math.max(0, ...harmful.map((s) => s.score));
  const reasons: string[] = [];

  const stopped =
    has('up', 'below') ||
    has('restarts', 'above') ||
    (has('traffic', 'below') && !has('latency') && !has('errors')) ||
    has('temperature', 'below');
  let failureModel: FailureModel;
  if (stopped && ttf <= AT_LIMIT_SECONDS) {
    failureModel = 'resource_exhaustion';
    reasons.push(RAN_OUT_REASON);
  } else if (stopped) {
    failureModel = 'crash';
    reasons.push(
      has('temperature', 'below')
        ? 'the temperature fell away: the machine stopped working'
        : 'the target stopped answering, restarted or lost all traffic'
    );
  } else if ((has('latency', 'above') || has('errors', 'above')) && (has('traffic', 'below') || !has('cpu', 'above'))) {
    failureModel = 'network_partition';
    reasons.push('latency or errors rose without a matching rise in work');
  } else if (input.peerOutlier) {
    failureModel = 'byzantine';
    reasons.push('the target departs from its peers while they stay normal');
  } else if (ttf < Infinity || has('cpu', 'above') || has('memory', 'above') || has('disk', 'above')) {
    failureModel = 'resource_exhaustion';
    reasons.push(ttf < Infinity ? 'a resource is forecast to reach its limit' : 'resource usage rose out of its band');
  } else if (has('temperature', 'above')) {
    failureModel = 'resource_exhaustion';
    reasons.push('the temperature rose out of its band: cooling is running out');
  } else if (moved.length > 0 && moved.every((s) => s.direction === 'below')) {
    failureModel = 'crash';
    reasons.push('the signal fell below its band: work stopped');
  } else {
    failureModel = 'resource_exhaustion';
    reasons.push('usage rose out of its band');
  }

  let severity: Severity;
  if (ttf <= AT_LIMIT_SECONDS || (failureModel === 'crash' && maxScore >= NEAR_CERTAIN_SCORE)) {
    severity = 'critical';
    reasons.push(ttf <= AT_LIMIT_SECONDS ? nearLimitWords(ttf) : 'crash with a near-certain anomaly');
  } else if (ttf <= NEAR_LIMIT_SECONDS || maxScore >= VERY_UNLIKELY_SCORE || harmful.length >= 3) {
    severity = 'high';
    reasons.push(
      ttf <= NEAR_LIMIT_SECONDS
        ? 'limit possibly crossed within the hour'
        : harmful.length >= 3
          ? 'three or more signals moved'
          : 'a very unlikely value'
    );
  } else if (harmful.length > 0 || ttf <= 6 * 3600 || input.peerOutlier) {
    severity = 'medium';
    reasons.push('an anomaly or a limit possibly crossed within six hours');
  } else {
    severity = 'low';
    reasons.push(moved.length > 0 ? 'signals moved only the harmless way' : 'nothing crossed the threshold');
  }
  return { severity, failureModel, reasons };
}

export interface PeerGroupState {
  format: 'failureprophet.peers';
  version: 1;
  /** Absent from snapshots of earlier builds: the defaults then. */
  smoothing?: number;
  scaleSmoothing?: number;
  /** Steps the scale has averaged, counted up to its smoothing window; absent from earlier builds' snapshots (taken as a full window). */
  steps?: number;
  /** Each member's smoothed modified z-score, in member order. */
  smoothed: number[];
  /** The group's smoothed spread; null before the first step with three members. */
  scale: number | null;
}

/**
 * Peer-group detector: among series that should behave alike (replicas of one deployment), the
 * one departing from its siblings. At each step every member's value is compared with the median
 * of the group in units of the median absolute deviation (Iglewicz & Hoaglin's modified z-score,
 * robust to the outlier itself); the deviation is smoothed over steps so one noisy scrape does not
 * flag a replica, and turned into a calibrated score. Assumes members are exchangeable.
 *
 * 1.4826 MAD estimates the standard deviation only for large groups: among 3 replicas the MAD is
 * the smaller of the two gaps to the median, and 1.4826 times it averages 1/1.495 of the spread
 * (measured 1/1.48 on the compose demo's replicas), so every member's z was half as large again
 * and noise among near-identical replicas passed for a departure. The finite-sample factors of
 * Croux & Rousseeuw (1992) make it unbiased at the normal for each group size.
 */
export class PeerGroupDetector {
  readonly size: number;
  private readonly smoothed: Float64Array;
  private readonly sorted: Float64Array;
  private readonly scores: Float64Array;
  private readonly alpha: number;
  private readonly scaleAlpha: number;
  private scale = NaN;
  private steps = 0;
  /** The steps the scale's smoothing averages over: a plain mean up to there. */
  private readonly window: number;

  /**
   * `scaleSmoothing` (0-1, default off): average the group's spread over steps instead of taking
   * each step's MAD alone; with 3-4 members one step's MAD is often tiny and flags pure noise.
   */
  constructor(size: number, options: { smoothing?: number; scaleSmoothing?: number } = {}) {
    if (!(size >= 3)) {
      throw new Error('a peer group needs at least 3 members to tell which one departs');
    }
    this.size = size;
    this.alpha = options.smoothing ?? 0.3;
    this.scaleAlpha = options.scaleSmoothing ?? 1;
    this.window = Math.ceil(1 / this.scaleAlpha);
    this.smoothed = new Float64Array(size);
    this.sorted = new Float64Array(size);
    this.scores = new Float64Array(size);
  }

  /** Scores each member at one step (NaN members are skipped and score 0). Returns a reused array. */
  update(values: ArrayLike<number>): Float64Array {
    let n = 0;
    for (let i = 0; i < this.size; i++) {
      if (Number.isFinite(values[i])) {
        this.sorted[n++] = values[i];
      }
    }
    this.scores.fill(0);
    if (n < 3) {
      return this.scores;
    }
    const view = this.sorted.subarray(0, n).sort();
    const median = middle(view);
    for (let i = 0; i < n; i++) {
      view[i] = Math.abs(view[i] - median);
    }
    view.sort();
    // A floor keeps identical peers from dividing by 0.
    const stepScale = 1.4826 * madFactor(n) * middle(view) + 1e-9 + 1e-6 * Math.abs(median);
    // A plain mean of the steps seen until the smoothing's window is full: the first step's spread
    // (one MAD of 3 values, often near 0) would otherwise weigh on the next ~1/scaleSmoothing steps.
    this.steps = Math.min(this.steps + 1, this.window);
    this.scale = Number.isNaN(this.scale)
      ? stepScale
      : this.scale + Math.max(this.scaleAlpha, 1 / this.steps) * (stepScale - this.scale);
    const scale = this.scale;
    for (let i = 0; i < this.size; i++) {
      if (!Number.isFinite(values[i])) {
        continue;
      }
      const z = (values[i] - median) / scale;
      this.smoothed[i] += this.alpha * (z - this.smoothed[i]);
      this.scores[i] = scoreOfLog10(log10NormalTwoSided(this.smoothed[i]) + Math.log10(this.size));
    }
    return this.scores;
  }

  /** Plain JSON snapshot; `fromState` resumes from it, so a restart does not re-learn the group's spread. */
  toState(): PeerGroupState {
    return {
      format: 'failureprophet.peers',
      version: 1,
      smoothing: this.alpha,
      scaleSmoothing: this.scaleAlpha,
      steps: this.steps,
      smoothed: Array.from(this.smoothed),
      scale: Number.isNaN(this.scale) ? null : this.scale,
    };
  }

  /** Resumes from `toState()` output; throws a clear Error on anything else. */
  static fromState(state: unknown): PeerGroupDetector {
    if (!isPeerGroupState(state)) {
      throw new Error('Cannot restore a peer group from this state: not a failureprophet.peers version 1 snapshot');
    }
    const s = state;
    const d = new PeerGroupDetector(s.smoothed.length, { smoothing: s.smoothing, scaleSmoothing: s.scaleSmoothing });
    d.smoothed.set(s.smoothed);
    d.scale = s.scale ?? NaN;
    d.steps = Math.min(s.steps ?? (s.scale === null ? 0 : d.window), d.window);
    return d;
  }

  /** Index of the member most departed from its peers if its score reaches `threshold`, else -1. */
  outlier(threshold = RECOMMENDED_THRESHOLD): number {
    let best = -1;
    for (let i = 0; i < this.size; i++) {
      if (this.scores[i] >= threshold && (best < 0 || this.scores[i] > this.scores[best])) {
        best = i;
      }
    }
    return best;
  }
}

/** A snapshot `toState()` wrote (it comes back from the store, so each field is looked at). */
function isPeerGroupState(s: unknown): s is PeerGroupState {
  const optionalNumber = (v: unknown) => v === undefined || typeof v === 'number';
  return (
    typeof s === 'object' &&
    s !== null &&
    'format' in s &&
    s.format === 'failureprophet.peers' &&
    'version' in s &&
    s.version === 1 &&
    'smoothed' in s &&
    Array.isArray(s.smoothed) &&
    s.smoothed.every(Number.isFinite) &&
    'scale' in s &&
    (s.scale === null || Number.isFinite(s.scale)) &&
    optionalNumber('smoothing' in s ? s.smoothing : undefined) &&
    optionalNumber('scaleSmoothing' in s ? s.scaleSmoothing : undefined) &&
    ('steps' in s ? Number.isInteger(s.steps) && (s.steps as number) >= 0 : true)
  );
}

/**
 * Croux & Rousseeuw's (1992) small-sample factor b_n for the MAD (b_n * 1.4826 * MAD is unbiased
 * for the standard deviation at the normal): tabled for n <= 9, n / (n - 0.8) beyond.
 */
const MAD_FACTORS = [NaN, NaN, 1.196, 1.495, 1.363, 1.206, 1.2, 1.14, 1.129, 1.107];
function madFactor(n: number): number {
  return n < MAD_FACTORS.length ? MAD_FACTORS[n] : n / (n - 0.8);
}

function middle(sorted: Float64Array): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/**
 * A critical time to failure (its earliest plausible crossing, in seconds) in words: at 0 the limit is
 * reached already or about to be, not a crossing still to come.
 */
function nearLimitWords(ttf: number): string {
  const minutes = Math.round(ttf / 60);
  return minutes === 0 ? 'limit already reached, or about to be' : `limit possibly crossed within ${minutes} min`;
}
