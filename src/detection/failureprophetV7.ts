import { checkState, DetectorState, stateEnvelope, StreamingDetector } from './detector';
import { FailureProphetV6Detector, FailureProphetV6Options } from './failureprophetV6';
import { SustainedOptions, SustainedView } from './sustained';

export interface FailureProphetV7Options extends FailureProphetV6Options, SustainedOptions {
  /** What v6's score counts for on a value inside the past week's range (a short excursion seen before); default 0.8. */
  insideWeight?: number;
}

const NAME = 'failureprophet-v7';
const VERSION = 1;

/**
 * Candidate for the product (issue 13): failureprophet-v6 with a sustained-departure view
 * (SustainedView). A level beyond the past week's range for sustainedForMs alarms, whatever v6's
 * band has learned meanwhile (v6's views adapt, so a day-long cold machine stops looking unusual
 * to them within hours); a sample whose value lies inside the past week's range scores
 * insideWeight x v6's score, since a dip to where the series has been in the week is what it
 * does, unless it lasts (then the sustained view calls it). A value stuck flat keeps v6's score
 * (a flat run is no excursion), and so does everything before the view holds two days. The band is
 * v6's, or the past week's range while the sustained view is what scores.
 */
export class FailureProphetV7Detector implements StreamingDetector {
  readonly name = NAME;
  private readonly weight: number;
  private lastLevel = 0;
  private departing = false;

  constructor(
    options: FailureProphetV7Options = {},
    private readonly v6 = new FailureProphetV6Detector(options),
    private readonly view = new SustainedView(options)
  ) {
    this.weight = options.insideWeight ?? 0.8;
    if (!(Number.isFinite(this.weight) && this.weight >= 0 && this.weight <= 1)) {
      throw new Error(`insideWeight must be a number in [0, 1], got ${String(this.weight)}`);
    }
  }

  get expected(): number {
    return this.departing ? this.view.reference.mean : this.v6.expected;
  }

  get lower(): number {
    return this.departing ? this.view.reference.lower : this.v6.lower;
  }

  get upper(): number {
    return this.departing ? this.view.reference.upper : this.v6.upper;
  }

  get level(): number {
    return this.lastLevel;
  }

  get learning(): boolean {
    return this.v6.learning;
  }

  settings(): Record<string, number> {
    return { ...this.v6.settings(), ...this.view.settings(), insideWeight: this.weight };
  }

  update(timestampMs: number, value: number): number {
    const flat = this.view.repeated(value);
    const own = this.v6.update(timestampMs, value);
    const ref = this.view.reference;
    const inside = ref.ready && !flat && value >= ref.valueMin && value <= ref.valueMax;
    const w = inside ? this.weight : 1;
    // The view learns its week during probation too, but a departure counts only after it.
    const reported = this.view.update(timestampMs, value);
    const departure = this.learning ? 0 : reported;
    const departureLevel = this.learning ? 0 : this.view.level;
    const v6Level = w * (this.v6.level ?? own);
    this.departing = departureLevel > v6Level;
    this.lastLevel = Math.max(v6Level, departureLevel);
    return Math.max(w * own, departure);
  }

  toState(): DetectorState {
    return {
      ...stateEnvelope(NAME, VERSION),
      insideWeight: this.weight,
      lastLevel: this.lastLevel,
      departing: this.departing,
      v6: this.v6.toState(),
      sustained: this.view.toPacked(),
    };
  }

  static fromState(state: unknown): FailureProphetV7Detector {
    const s = checkState(state, NAME, VERSION);
    const { insideWeight, lastLevel, departing } = s;
    if (typeof insideWeight !== 'number' || typeof lastLevel !== 'number' || typeof departing !== 'boolean') {
      throw new Error(`Corrupt detector state: ${NAME} insideWeight, lastLevel or departing missing`);
    }
    const v6 = FailureProphetV6Detector.fromState(s.v6);
    const d = new FailureProphetV7Detector({ insideWeight }, v6, SustainedView.fromPacked(s.sustained, 'sustained'));
    d.lastLevel = lastLevel;
    d.departing = departing;
    return d;
  }
}
