import { ARTIME_RANGE_SEEN, ArtimeDetector } from './artime';
import { checkState, DetectorState } from './detector';
import { EnsembleDetector, EnsembleOptions, EnsembleParts } from './ensemble';
import { FailureProphetV5Detector } from './failureprophetV5';
import { isRecord } from './shared/json';

export type FailureProphetOptions = EnsembleOptions;

/**
 * How much the bounded ARTime's score counts: the weight `npm run nab:tune` picks on the dev files
 * (leave one category out, chosen with the bound in each fold; RESULTS.md, issue 12).
 */
export const ARTIME_BOUNDED_WEIGHT = 0.4;

/**
 * Categories of the product's ARTime: chosen with the weight by `npm run nab:tune` on the dev files
 * among the bounds whose state fits 4 KiB (RESULTS.md, issue 12).
 */
export const PRODUCT_CATEGORIES = 24;

/** 6: failureprophet-v5 with the bounded ARTime (5: failureprophet-v5 alone, still read). */
const VERSION = 6;
const V5_VERSION = 5;

/**
 * The product's detector (v6): failureprophet-v5 (daily profile and slow baseline, calibrated tail
 * probabilities, flat and missing runs, one alarm per event that never hides a new one) together
 * with a bounded ARTime (adaptive resonance over window shapes, range estimated online, at most
 * PRODUCT_CATEGORIES categories), reporting the larger of v5's score and ARTIME_BOUNDED_WEIGHT x
 * ARTime's (EnsembleDetector). Neither member's score is ever lowered, so every fault v5 flags it
 * flags; ARTime adds the window shapes never seen, which v5's level views miss. Its state is a few
 * KiB whatever it has seen (both members have fixed-size state).
 *
 * A state saved by builds before issue 12's v6 (`failureprophet` version 5, the v5 detector alone)
 * resumes as this detector: its v5 part exactly where it was, its ARTime fresh (learning its
 * probation from there, scoring 0 meanwhile).
 */
export class FailureProphetDetector extends EnsembleDetector {
  constructor(options: FailureProphetOptions = {}, parts?: EnsembleParts) {
    super(
      'failureprophet',
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

  static override fromState(state: unknown): FailureProphetDetector {
    if (isRecord(state) && state.name === 'failureprophet' && state.version === V5_VERSION) {
      const fp = FailureProphetV5Detector.fromState(state, true);
      const tp = fp.settings().trainingPoints;
      return new FailureProphetDetector(
        {},
        {
          fp,
          artime: freshArtime(tp > 0 ? tp : undefined, undefined, false),
          weight: ARTIME_BOUNDED_WEIGHT,
        }
      );
    }
    const s = checkState(state, 'failureprophet', VERSION);
    const parts = EnsembleDetector.partsOf(s, 'failureprophet');
    return new FailureProphetDetector({}, parts).resume(parts.last);
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
