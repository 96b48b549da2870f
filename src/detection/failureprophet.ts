import { FailureProphetLeadersDetector, FailureProphetLeadersOptions } from './failureprophetLeaders';
import { FailureProphetV6Detector } from './failureprophetV6';
import { isRecord } from './shared/json';

export type FailureProphetOptions = FailureProphetLeadersOptions;

/** States the product saved before v9: failureprophet-v5 alone (5), v5 with the clamped bounded ARTime (6). */
const EARLIER_VERSIONS: readonly unknown[] = [5, 6];

/**
 * The product's detector, `failureprophet` v9 (issues 12 and 13; RESULTS.md, "failureprophet v9"):
 * the published leader ARTime (bounded to PRODUCT_CATEGORIES categories, on the range seen,
 * re-expressed as it moves) carries the general detection, and a fault call (a value far beyond the
 * range seen, a drop to 0 where 0 is not a habit, a value stuck flat, a series that stops) scores 1
 * whatever alarmed before (FailureProphetLeadersDetector). Chosen over v6 (failureprophet-v5's level views with the
 * ARTime) because v6's views fitted the dev files: v9 scores below v6 there and above it, with a
 * third of the false alarms, on the held-out category.
 *
 * A state saved by earlier builds (versions 5 and 6) resumes with its failureprophet-v5 part, the
 * band and run views, exactly where it was; its ARTime and range view start afresh.
 */
export class FailureProphetDetector extends FailureProphetLeadersDetector {
  constructor(options: FailureProphetOptions = {}) {
    super({ artimeRescale: true, ...options }, undefined, 'failureprophet');
  }

  static override fromState(state: unknown): FailureProphetLeadersDetector {
    if (isRecord(state) && state.name === 'failureprophet' && EARLIER_VERSIONS.includes(state.version)) {
      return FailureProphetLeadersDetector.resumed(FailureProphetV6Detector.v5Of(state));
    }
    return FailureProphetLeadersDetector.fromState(state);
  }
}
