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
  /** True when the target departs from its peers (PeerGroupDetector, peerGroup.ts) while they stay normal. */
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

/**
 * A critical time to failure (its earliest plausible crossing, in seconds) in words: at 0 the limit is
 * reached already or about to be, not a crossing still to come.
 */
function nearLimitWords(ttf: number): string {
  const minutes = Math.round(ttf / 60);
  return minutes === 0 ? 'limit already reached, or about to be' : `limit possibly crossed within ${minutes} min`;
}
