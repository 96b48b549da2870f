import { isRecord } from './shared/json';

/** What every streaming detector offers the pipeline and the panel. */
export interface StreamingDetector {
  /** Registry name of the detector (`createDetector(name)`). */
  readonly name: string;
  /**
   * Learns from one sample and returns its anomaly score in [0, 1] (calibrated: compare with
   * RECOMMENDED_THRESHOLD). A timestamp not after the last one leaves the state untouched and
   * returns the last score (0 before any). A NaN/infinite value does the same, except in
   * failureprophet, where it is a missing sample (a run of them is scored: the series stopped);
   * callers that know a step had no sample should pass NaN for it.
   */
  update(timestampMs: number, value: number): number;
  /** The value the detector expected at the last step (NaN while it has learned nothing). */
  readonly expected: number;
  /** Lower edge of the learned normal band at the last step. */
  readonly lower: number;
  /** Upper edge of the learned normal band at the last step. */
  readonly upper: number;
  /**
   * Optional: the last score without per-event suppression (same [0, 1] scale). Detectors that
   * report an event once (failureprophet) keep it >= the threshold while the series stays
   * abnormal; use it to keep an anomaly open and to shade it. Absent: use the score.
   */
  readonly level?: number;
  /**
   * Optional: how abnormal a gap is by itself at a step without a sample: the level of a run of
   * missing samples (a series that stopped), apart from how abnormal the series was before it.
   * Absent: `level` (or the score) says it.
   */
  readonly missingRunLevel?: number;
  /**
   * Optional: true while the detector is still warming up (its first samples, or `trainingPoints`)
   * and will not alarm; the panel can hide or grey its scores and band meanwhile. Absent: the
   * detector does not say (treat the first `trainingPoints` samples as warm-up).
   */
  readonly learning?: boolean;
  /**
   * Optional: samples still to come before the detector scores with its whole model. While
   * `learning`, nothing alarms; after it, until this reaches 0, only its gross-fault calls do
   * (failureprophet: its ARTime still learns the series' shapes). Absent or 0: it scores fully.
   */
  readonly faultsOnlySamplesLeft?: number;
  /**
   * Optional: whether the last score came from a gross-fault call (failureprophet: a value beyond the
   * range seen, a first drop to 0, a value stuck flat, a series that stopped) rather than from the
   * shape of the series alone. An operator's "false positive" silences a recurring shape, never such a
   * call (src/server/pipeline/benignExcursions.ts). Absent: the detector does not tell them apart.
   */
  readonly faultCall?: boolean;
  /** Plain JSON-serialisable snapshot; `restoreDetector` resumes from it. */
  toState(): DetectorState;
}

export const DETECTOR_STATE_FORMAT = 'failureprophet.detector';

/** Serialised detector: a versioned envelope around the detector's own fields. */
export interface DetectorState {
  format: typeof DETECTOR_STATE_FORMAT;
  name: string;
  version: number;
  [field: string]: unknown;
}

/** Options any detector accepts; unknown ones are ignored. */
export interface DetectorOptions {
  /** Samples used for learning before the detector may alarm (NAB's probation period). */
  trainingPoints?: number;
  /** Seed for detectors that draw random numbers. */
  seed?: number;
}

/** The envelope of a detector's state; its own fields follow it. */
export function stateEnvelope(name: string, version: number): DetectorState {
  return { format: DETECTOR_STATE_FORMAT, name, version };
}

/** Checks the envelope of a state and returns it typed; throws with a clear message otherwise. */
export function checkState(state: unknown, name: string, version: number): DetectorState & Record<string, unknown> {
  if (!isRecord(state)) {
    throw new Error(`Cannot restore detector "${name}": state is not an object`);
  }
  const s = state;
  if (s.format !== DETECTOR_STATE_FORMAT) {
    throw new Error(
      `Cannot restore detector "${name}": format is ${JSON.stringify(s.format)}, expected "${DETECTOR_STATE_FORMAT}"`
    );
  }
  if (s.name !== name) {
    throw new Error(`Cannot restore detector "${name}" from a state of detector ${JSON.stringify(s.name)}`);
  }
  if (s.version !== version) {
    throw new Error(
      `Cannot restore detector "${name}": state version ${JSON.stringify(s.version)}, this build reads version ${version}`
    );
  }
  return { ...s, format: DETECTOR_STATE_FORMAT, name, version };
}

/** Reads a numeric field of a state, accepting null for NaN (JSON has no NaN). */
export function num(s: Record<string, unknown>, key: string): number {
  const v = s[key];
  if (v === null) {
    return NaN;
  }
  if (typeof v !== 'number') {
    throw new Error(`Corrupt detector state: field "${key}" is not a number`);
  }
  return v;
}

/**
 * Reads a numeric array field of a state of an exact length (null entries are NaN). The length is
 * checked against the array before anything is allocated: a corrupt length (2e8) costs nothing.
 */
export function numArray(s: Record<string, unknown>, key: string, length: number): Float64Array {
  const v = s[key];
  if (!Array.isArray(v) || v.length !== length) {
    throw new Error(`Corrupt detector state: field "${key}" is not an array of ${length} numbers`);
  }
  const out = new Float64Array(length);
  v.forEach((x, i) => {
    if (x !== null && typeof x !== 'number') {
      throw new Error(`Corrupt detector state: field "${key}" is not an array of ${length} numbers`);
    }
    out[i] = x ?? NaN;
  });
  return out;
}
