import { ArtimeDetector, ArtimeRange } from './artime';
import { DetectorOptions, DetectorState, StreamingDetector } from './detector';
import { EwmaDetector } from './ewma';
import { FailureProphetDetector } from './failureprophet';
import { FailureProphetV1Detector } from './failureprophetV1';
import { IsolationForestDetector } from './iforestDetector';
import { ZScoreDetector } from './zscore';

const DETECTORS: Record<
  string,
  { create: (o: DetectorOptions, range?: ArtimeRange) => StreamingDetector; restore: (s: unknown) => StreamingDetector }
> = {
  failureprophet: { create: (o) => new FailureProphetDetector(o), restore: (s) => FailureProphetDetector.fromState(s) },
  'failureprophet-v1': {
    create: (o) => new FailureProphetV1Detector(o),
    restore: (s) => FailureProphetV1Detector.fromState(s),
  },
  artime: { create: (o, range) => new ArtimeDetector(o, range), restore: (s) => ArtimeDetector.fromState(s) },
  ewma: { create: (o) => new EwmaDetector(o), restore: (s) => EwmaDetector.fromState(s) },
  zscore: { create: (o) => new ZScoreDetector(o), restore: (s) => ZScoreDetector.fromState(s) },
  iforest: { create: (o) => new IsolationForestDetector(o), restore: (s) => IsolationForestDetector.fromState(s) },
};

/** Names `createDetector` accepts; `failureprophet` is the recommended one. */
export const DETECTOR_NAMES: readonly string[] = Object.keys(DETECTORS);

/**
 * A fresh streaming detector by name; throws on an unknown name. `range` is NAB's min/max hint
 * (`--published-minmax` only; the product never passes it).
 */
export function createDetector(name: string, options: DetectorOptions = {}, range?: ArtimeRange): StreamingDetector {
  const entry = DETECTORS[name];
  if (!entry) {
    throw new Error(`Unknown detector "${name}"; known: ${DETECTOR_NAMES.join(', ')}`);
  }
  return entry.create(options, range);
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
