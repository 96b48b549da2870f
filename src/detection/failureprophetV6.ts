import { ARTIME_RANGE_SEEN, ArtimeDetector } from './artime';
import { checkState, DetectorState } from './detector';
import { EnsembleDetector, EnsembleOptions, EnsembleParts } from './ensemble';
import { PRODUCT_CATEGORIES } from './failureprophetLeaders';
import { FailureProphetV5Detector } from './failureprophetV5';
import { isRecord } from './shared/json';

export type FailureProphetV6Options = EnsembleOptions;

/**
 * How much the bounded ARTime's score counts: the weight `npm run nab:tune` picks on the dev files
 * (leave one category out, chosen with the bound in each fold; RESULTS.md, issue 12).
 */
export const ARTIME_BOUNDED_WEIGHT = 0.4;

const NAME = 'failureprophet-v6';
/** The name v6 was saved under while it was the product (and as failureprophet-v7 and -v8 still nest it). */
const PRODUCT_NAME = 'failureprophet';
const VERSION = 6;
/** failureprophet-v5 alone, as the product saved it before v6. */
const V5_VERSION = 5;

/**
 * The product's detector from issue 12's fourth stop to stop 29 (v6), kept for comparison:
 * failureprophet-v5 (daily profile and slow baseline, calibrated tail probabilities, flat and missing
 * runs, one alarm per event that never hides a new one) together with a bounded ARTime (clamped
 * probation range, at most PRODUCT_CATEGORIES categories), reporting the larger of v5's score and
 * ARTIME_BOUNDED_WEIGHT x ARTime's (EnsembleDetector). On the dev files it scores above the product,
 * on the held-out category below it (RESULTS.md, "failureprophet v9").
 *
 * A state saved under `failureprophet` version 5 (the v5 detector alone) resumes as this detector:
 * its v5 part exactly where it was, its ARTime fresh (learning its probation from there, scoring 0
 * meanwhile).
 */
export class FailureProphetV6Detector extends EnsembleDetector {
  constructor(options: FailureProphetV6Options = {}, parts?: EnsembleParts) {
    super(
      NAME,
      parts ?? {
        fp: new FailureProphetV5Detector(options),
        artime: freshArtime(options.trainingPoints, options.maxCategories, options.artimeRescale === true),
        weight: options.artimeWeight ?? ARTIME_BOUNDED_WEIGHT,
      }
    );
  }

  override toState(): DetectorState {
    return this.stateOf(VERSION);
  }

  /** The failureprophet-v5 part of a v6 state (either name) or of a `failureprophet` version 5 state. */
  static v5Of(state: unknown): FailureProphetV5Detector {
    if (isRecord(state) && state.name === PRODUCT_NAME && state.version === V5_VERSION) {
      return FailureProphetV5Detector.fromState(state, true);
    }
    const name = isRecord(state) && state.name === PRODUCT_NAME ? PRODUCT_NAME : NAME;
    return EnsembleDetector.partsOf(checkState(state, name, VERSION), NAME).fp;
  }

  static override fromState(state: unknown): FailureProphetV6Detector {
    if (isRecord(state) && state.name === PRODUCT_NAME && state.version === V5_VERSION) {
      const fp = FailureProphetV6Detector.v5Of(state);
      const tp = fp.settings().trainingPoints;
      return new FailureProphetV6Detector(
        {},
        {
          fp,
          artime: freshArtime(tp > 0 ? tp : undefined, undefined, false),
          weight: ARTIME_BOUNDED_WEIGHT,
        }
      );
    }
    const name = isRecord(state) && state.name === PRODUCT_NAME ? PRODUCT_NAME : NAME;
    const parts = EnsembleDetector.partsOf(checkState(state, name, VERSION), NAME);
    return new FailureProphetV6Detector({}, parts).resume(parts.last);
  }
}

function freshArtime(
  trainingPoints: number | undefined,
  maxCategories: number | undefined,
  rescale: boolean
): ArtimeDetector {
  return ArtimeDetector.bounded({
    trainingPoints,
    maxCategories: maxCategories ?? PRODUCT_CATEGORIES,
    ...(rescale ? ARTIME_RANGE_SEEN : {}),
  });
}
