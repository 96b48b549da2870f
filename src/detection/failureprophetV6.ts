import { checkState, DetectorState } from './detector';
import { EnsembleDetector, EnsembleOptions, EnsembleParts } from './ensemble';
import { boundedArtime } from './failureprophetLeaders';
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
        artime: boundedArtime({ ...options, rescale: options.artimeRescale === true }),
        weight: options.artimeWeight ?? ARTIME_BOUNDED_WEIGHT,
      }
    );
  }

  override toState(): DetectorState {
    return this.stateOf(VERSION);
  }

  /** The members of a v6 state saved under either name, checked. */
  private static partsIn(state: unknown): EnsembleParts & { last: number } {
    const name = isRecord(state) && state.name === PRODUCT_NAME ? PRODUCT_NAME : NAME;
    return EnsembleDetector.partsOf(checkState(state, name, VERSION), NAME);
  }

  /** The failureprophet-v5 part of a v6 state (either name) or of a `failureprophet` version 5 state. */
  static v5Of(state: unknown): FailureProphetV5Detector {
    return savedV5(state)
      ? FailureProphetV5Detector.fromState(state, true)
      : FailureProphetV6Detector.partsIn(state).fp;
  }

  static override fromState(state: unknown): FailureProphetV6Detector {
    if (savedV5(state)) {
      const fp = FailureProphetV5Detector.fromState(state, true);
      const tp = fp.settings().trainingPoints;
      return new FailureProphetV6Detector(
        {},
        {
          fp,
          artime: boundedArtime({ trainingPoints: tp > 0 ? tp : undefined, rescale: false }),
          weight: ARTIME_BOUNDED_WEIGHT,
        }
      );
    }
    const parts = FailureProphetV6Detector.partsIn(state);
    return new FailureProphetV6Detector({}, parts).resume(parts.last);
  }
}

/** A `failureprophet` version 5 state: failureprophet-v5 alone, saved under the product's name. */
function savedV5(state: unknown): boolean {
  return isRecord(state) && state.name === PRODUCT_NAME && state.version === V5_VERSION;
}
