import { checkState, DetectorState, stateEnvelope, StreamingDetector } from './detector';
import { FailureProphetV7Detector, FailureProphetV7Options } from './failureprophetV7';

export type FailureProphetV8Options = Omit<FailureProphetV7Options, 'insideWeight'>;

const NAME = 'failureprophet-v8';
const VERSION = 1;

/**
 * Candidate (issues 12 and 13): failureprophet-v6 with the sustained-departure view of v7, and
 * nothing damped. The reported score is the larger of v6's and the view's, so the view can only
 * add alarms (a level held beyond the past week's range for sustainedForMs, Page's CUSUM as a run
 * rule and the `for:` of a Prometheus alerting rule) and every alarm v6 raises stays as v6 raised
 * it. It is v7 with insideWeight 1: v7's x0.8 on short excursions inside the week's range was the
 * one place it lowered v6's score, and the suspected cause of its loss on unseen data (a series
 * whose normal range is wide keeps its real anomalies inside it). Built on v7 rather than beside it
 * so the combination is written once.
 */
export class FailureProphetV8Detector implements StreamingDetector {
  readonly name = NAME;

  constructor(
    options: FailureProphetV8Options = {},
    private readonly v7 = new FailureProphetV7Detector({ ...options, insideWeight: 1 })
  ) {}

  get expected(): number {
    return this.v7.expected;
  }

  get lower(): number {
    return this.v7.lower;
  }

  get upper(): number {
    return this.v7.upper;
  }

  get level(): number {
    return this.v7.level;
  }

  get learning(): boolean {
    return this.v7.learning;
  }

  settings(): Record<string, number> {
    const { insideWeight: _, ...rest } = this.v7.settings();
    return rest;
  }

  update(timestampMs: number, value: number): number {
    return this.v7.update(timestampMs, value);
  }

  toState(): DetectorState {
    return { ...stateEnvelope(NAME, VERSION), v7: this.v7.toState() };
  }

  static fromState(state: unknown): FailureProphetV8Detector {
    const s = checkState(state, NAME, VERSION);
    const v7 = FailureProphetV7Detector.fromState(s.v7);
    if (v7.settings().insideWeight !== 1) {
      throw new Error(
        `Corrupt detector state: ${NAME} holds a v7 that damps (insideWeight ${v7.settings().insideWeight})`
      );
    }
    return new FailureProphetV8Detector({}, v7);
  }
}
