import { DetectorOptions, DetectorState, StreamingDetector } from './detector';
import { EwmaDetector } from './ewma';
import { FailureProphetDetector } from './failureprophet';
import { IsolationForestDetector } from './iforestDetector';
import { ZScoreDetector } from './zscore';

const DETECTORS: Record<
  string,
  { create: (o: DetectorOptions) => StreamingDetector; restore: (s: unknown) => StreamingDetector }
> = {
  failureprophet: { create: (o) => new FailureProphetDetector(o), restore: (s) => FailureProphetDetector.fromState(s) },
  ewma: { create: (o) => new EwmaDetector(o), restore: (s) => EwmaDetector.fromState(s) },
  zscore: { create: (o) => new ZScoreDetector(o), restore: (s) => ZScoreDetector.fromState(s) },
  iforest: { create: (o) => new IsolationForestDetector(o), restore: (s) => IsolationForestDetector.fromState(s) },
};

/** Names `createDetector` accepts; `failureprophet` is the recommended one. */
export const DETECTOR_NAMES: readonly string[] = Object.keys(DETECTORS);

/** A fresh streaming detector by name; throws on an unknown name. */
export function createDetector(name: string, options: DetectorOptions = {}): StreamingDetector {
  const entry = DETECTORS[name];
  if (!entry) {
    throw new Error(`Unknown detector "${name}"; known: ${DETECTOR_NAMES.join(', ')}`);
  }
  return entry.create(options);
}

/** Resumes a detector from `toState()` output; throws a clear Error on a corrupt or incompatible state. */
export function restoreDetector(state: unknown): StreamingDetector {
  const name = typeof state === 'object' && state !== null ? (state as DetectorState).name : undefined;
  const entry = typeof name === 'string' ? DETECTORS[name] : undefined;
  if (!entry) {
    throw new Error(`Cannot restore a detector from this state: unknown detector ${JSON.stringify(name)}`);
  }
  return entry.restore(state);
}
