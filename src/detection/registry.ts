import { DetectorOptions, DetectorState, StreamingDetector } from './detector';
import { ArtimeDetector, ArtimeOptions } from './artime';
import { CadOseDetector, CadOseOptions } from './cadOse';
import { EnsembleDetector, EnsembleOptions } from './ensemble';
import { EwmaDetector, EwmaOptions } from './ewma';
import { FailureProphetDetector, FailureProphetOptions } from './failureprophet';
import { FailureProphetV1Detector, FailureProphetV1Options } from './failureprophetV1';
import { IsolationForestDetector } from './iforestDetector';
import { InputRange } from './inputRange';
import { KnnCadDetector } from './knnCad';
import { RelativeEntropyDetector } from './relativeEntropy';
import { ZScoreDetector, ZScoreOptions } from './zscore';

/** Each detector's options, by registry name. */
interface OptionsByName {
  failureprophet: FailureProphetOptions;
  'failureprophet-v1': FailureProphetV1Options;
  'failureprophet-ensemble': EnsembleOptions;
  'failureprophet-artime': EnsembleOptions;
  artime: ArtimeOptions;
  'artime-bounded': ArtimeOptions;
  ewma: EwmaOptions;
  zscore: ZScoreOptions;
  iforest: DetectorOptions;
  cadose: CadOseOptions;
  knncad: DetectorOptions;
  relativeentropy: DetectorOptions;
}

export type { InputRange };

/** Names `createDetector` accepts. */
export type DetectorName = keyof OptionsByName;

type Registry = {
  [N in DetectorName]: {
    create: (options: OptionsByName[N], range?: InputRange) => StreamingDetector;
    restore: (state: unknown) => StreamingDetector;
  };
};

const DETECTORS: Registry = {
  failureprophet: { create: (o) => new FailureProphetDetector(o), restore: (s) => FailureProphetDetector.fromState(s) },
  'failureprophet-v1': {
    create: (o) => new FailureProphetV1Detector(o),
    restore: (s) => FailureProphetV1Detector.fromState(s),
  },
  // failureprophet with ARTime: not product-grade (ARTime's state grows, ~0.1 M points/s); for NAB.
  'failureprophet-ensemble': {
    create: (o) => new EnsembleDetector(o),
    restore: (s) => EnsembleDetector.fromState(s),
  },
  // The issue-12 candidate: failureprophet with the bounded ARTime (artime-bounded).
  'failureprophet-artime': {
    create: (o) => EnsembleDetector.bounded(o),
    restore: (s) => EnsembleDetector.fromState(s),
  },
  artime: { create: (o, range) => new ArtimeDetector(o, range), restore: (s) => ArtimeDetector.fromState(s) },
  // ARTime with a fixed number of categories and byte weights: fixed-size state (issue 12).
  'artime-bounded': {
    create: (o, range) => ArtimeDetector.bounded(o, range),
    restore: (s) => ArtimeDetector.fromState(s),
  },
  ewma: { create: (o) => new EwmaDetector(o), restore: (s) => EwmaDetector.fromState(s) },
  zscore: { create: (o) => new ZScoreDetector(o), restore: (s) => ZScoreDetector.fromState(s) },
  iforest: { create: (o) => new IsolationForestDetector(o), restore: (s) => IsolationForestDetector.fromState(s) },
  // NAB's published leaders, for comparison; cadose and relativeentropy quantise over a value range (the hint, or the range seen so far).
  cadose: { create: (o, range) => new CadOseDetector(o, range), restore: (s) => CadOseDetector.fromState(s) },
  relativeentropy: {
    create: (o, range) => new RelativeEntropyDetector(o, range),
    restore: (s) => RelativeEntropyDetector.fromState(s),
  },
  knncad: { create: (o) => new KnnCadDetector(o), restore: (s) => KnnCadDetector.fromState(s) },
};

/** Names `createDetector` accepts; `failureprophet` is the recommended one. */
export const DETECTOR_NAMES: readonly string[] = Object.keys(DETECTORS);

/**
 * The detectors a watch or the panel may use: bounded state and fast enough for a fleet. The others
 * are kept for comparison in `npm run nab` (ARTime's and CAD OSE's state grows without bound, KNN CAD
 * scores about 20,000 points/s).
 */
export const PRODUCT_DETECTOR_NAMES = [
  'failureprophet',
  'ewma',
  'zscore',
  'iforest',
] as const satisfies readonly DetectorName[];

export function isDetectorName(name: string): name is DetectorName {
  return Object.prototype.hasOwnProperty.call(DETECTORS, name);
}

function build<N extends DetectorName>(name: N, options: OptionsByName[N], range?: InputRange): StreamingDetector {
  return DETECTORS[name].create(options, range);
}

/**
 * A fresh streaming detector by name; throws on an unknown name or an unusable range. `range` is
 * the NAB-only min/max hint (see InputRange): the product never passes it. Options a detector
 * does not know are ignored (settings carry the common ones; each entry above types its own).
 */
export function createDetector(name: string, options: DetectorOptions = {}, range?: InputRange): StreamingDetector {
  if (!isDetectorName(name)) {
    throw new Error(`Unknown detector "${name}"; known: ${DETECTOR_NAMES.join(', ')}`);
  }
  if (
    range &&
    !(Number.isFinite(range.inputMin) && Number.isFinite(range.inputMax) && range.inputMin <= range.inputMax)
  ) {
    throw new Error(`Input range hint must be finite with inputMin <= inputMax, got ${JSON.stringify(range)}`);
  }
  return build(name, options, range);
}

/** Resumes a detector from `toState()` output; throws a clear Error on a corrupt or incompatible state. */
export function restoreDetector(state: unknown): StreamingDetector {
  const name = typeof state === 'object' && state !== null ? (state as DetectorState).name : undefined;
  if (typeof name !== 'string' || !isDetectorName(name)) {
    throw new Error(`Cannot restore a detector from this state: unknown detector ${JSON.stringify(name)}`);
  }
  return DETECTORS[name].restore(state);
}
