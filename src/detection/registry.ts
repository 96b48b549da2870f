import { StreamingDetector } from './detector';
import { ArtimeDetector } from './artime';
import { CadOseDetector } from './cadOse';
import { EnsembleDetector } from './ensemble';
import { EwmaDetector } from './ewma';
import { FailureProphetDetector } from './failureprophet';
import { FailureProphetV5Detector } from './failureprophetV5';
import { FailureProphetV6Detector } from './failureprophetV6';
import { FailureProphetV1Detector } from './failureprophetV1';
import { FailureProphetV7Detector } from './failureprophetV7';
import { FailureProphetV8Detector } from './failureprophetV8';
import { FailureProphetLeadersDetector } from './failureprophetLeaders';
import { IsolationForestDetector } from './iforestDetector';
import { InputRange } from './inputRange';
import { KnnCadDetector } from './knnCad';
import { RelativeEntropyDetector } from './relativeEntropy';
import { DetectorName, OptionsByName, parseDetectorOptions } from './options';
import { ZScoreDetector } from './zscore';
import { LEARNING_MS } from './shared/dailyViews';

export type { InputRange, DetectorName, OptionsByName };

type Registry = {
  [N in DetectorName]: {
    create: (options?: OptionsByName[N], range?: InputRange) => StreamingDetector;
    restore: (state: unknown) => StreamingDetector;
  };
};

const DETECTORS: Registry = {
  // The product's detector (v9): a bounded ARTime on the range seen, and gross-fault calls (issues 12, 13).
  failureprophet: { create: (o) => new FailureProphetDetector(o), restore: (s) => FailureProphetDetector.fromState(s) },
  // The product until stop 29: failureprophet-v5 with a bounded ARTime on its clamped probation range.
  'failureprophet-v6': {
    create: (o) => new FailureProphetV6Detector(o),
    restore: (s) => FailureProphetV6Detector.fromState(s),
  },
  // Candidate (issue 13): failureprophet-v6 with a sustained-departure view; short excursions inside the past week's range count less.
  'failureprophet-v7': {
    create: (o) => new FailureProphetV7Detector(o),
    restore: (s) => FailureProphetV7Detector.fromState(s),
  },
  // Candidate (issues 12, 13): v7 without its damping, the sustained view only ever raising v6's score.
  'failureprophet-v8': {
    create: (o) => new FailureProphetV8Detector(o),
    restore: (s) => FailureProphetV8Detector.fromState(s),
  },
  // Candidate (issue 12, det12a): the bounded ARTime with only gross-fault calls beside it (range, zero, flat, stop).
  'failureprophet-leaders': {
    create: (o) => new FailureProphetLeadersDetector(o),
    restore: (s) => FailureProphetLeadersDetector.fromState(s),
  },
  'failureprophet-v5': {
    create: (o) => new FailureProphetV5Detector(o),
    restore: (s) => FailureProphetV5Detector.fromState(s),
  },
  'failureprophet-v1': {
    create: (o) => new FailureProphetV1Detector(o),
    restore: (s) => FailureProphetV1Detector.fromState(s),
  },
  // failureprophet-v5 with the published ARTime: not product-grade (ARTime's state grows, ~0.1 M points/s); for NAB.
  'failureprophet-ensemble': {
    create: (o) => EnsembleDetector.unbounded(o),
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
  // CAD OSE holding at most maxContexts contexts, the least recently used forgotten (issue 12, det12c).
  'cadose-bounded': {
    create: (o, range) => CadOseDetector.bounded(o, range),
    restore: (s) => CadOseDetector.fromState(s),
  },
  relativeentropy: {
    create: (o, range) => new RelativeEntropyDetector(o, range),
    restore: (s) => RelativeEntropyDetector.fromState(s),
  },
  knncad: { create: (o) => new KnnCadDetector(o), restore: (s) => KnnCadDetector.fromState(s) },
};

/** Names `createDetector` accepts; `failureprophet` is the recommended one. */
export const DETECTOR_NAMES: readonly DetectorName[] = Object.keys(DETECTORS).filter(isDetectorName);

/**
 * The detectors a watch or the panel may use: bounded state and fast enough for a fleet. The others
 * are kept for comparison in `npm run nab` (ARTime's and CAD OSE's state grows without bound,
 * cadose-bounded's is ~170 KB at ~5,000 points/s, KNN CAD scores about 20,000 points/s).
 */
export const PRODUCT_DETECTOR_NAMES = [
  'failureprophet',
  'ewma',
  'zscore',
  'iforest',
] as const satisfies readonly DetectorName[];

export type ProductDetectorName = (typeof PRODUCT_DETECTOR_NAMES)[number];

export function isDetectorName(name: string): name is DetectorName {
  return Object.prototype.hasOwnProperty.call(DETECTORS, name);
}

/** The name checked against the registry; throws naming the known ones. */
export function detectorNameOf(name: string): DetectorName {
  if (!isDetectorName(name)) {
    throw new Error(`Unknown detector "${name}"; known: ${DETECTOR_NAMES.join(', ')}`);
  }
  return name;
}

/**
 * A fresh streaming detector by name, with that detector's options; throws on an unknown name or
 * an unusable range. `range` is the NAB-only min/max hint (see InputRange): the product never
 * passes it.
 */
export function createDetector<N extends DetectorName>(
  name: N,
  options?: OptionsByName[N],
  range?: InputRange
): StreamingDetector {
  detectorNameOf(name); // callers in plain JavaScript, or with a name cast from text
  if (
    range &&
    !(Number.isFinite(range.inputMin) && Number.isFinite(range.inputMax) && range.inputMin <= range.inputMax)
  ) {
    throw new Error(`Input range hint must be finite with inputMin <= inputMax, got ${JSON.stringify(range)}`);
  }
  return DETECTORS[name].create(options, range);
}

/**
 * A detector named and configured by text read from config or the command line: the name is
 * checked against the registry and the options by that detector's schema (parseDetectorOptions),
 * each with an error naming what is wrong.
 */
export function createDetectorFromConfig(name: string, options: unknown = {}, range?: InputRange): StreamingDetector {
  const known = detectorNameOf(name);
  return createDetector(known, parseDetectorOptions(known, options), range);
}

/**
 * A detector for a watch: failureprophet mutes itself after an alarm at `alarmThreshold`, which must
 * be the level the caller opens anomalies at, and learns for at most `learningMs` of series time
 * (the watch's own learning period; its first 30 samples still) instead of its default 2.5 hours,
 * so a watch with a short probation has its gross faults called after it. The other product
 * detectors do not suppress and take neither.
 */
export function createProductDetector(
  name: ProductDetectorName,
  alarmThreshold: number,
  learningMs = Infinity
): StreamingDetector {
  return name === 'failureprophet'
    ? createDetector(name, { alarmThreshold, learningMs: Math.min(learningMs, LEARNING_MS) })
    : createDetector(name);
}

/** Resumes a detector from `toState()` output; throws a clear Error on a corrupt or incompatible state. */
export function restoreDetector(state: unknown): StreamingDetector {
  const name = typeof state === 'object' && state !== null && 'name' in state ? state.name : undefined;
  if (typeof name !== 'string' || !isDetectorName(name)) {
    throw new Error(`Cannot restore a detector from this state: unknown detector ${JSON.stringify(name)}`);
  }
  return DETECTORS[name].restore(state);
}
