import { checkState, DetectorOptions, DetectorState, StreamingDetector } from './detector';
import { decodeStoredOptions, FAILUREPROPHET_V1_SETTINGS } from './options';
import { DailyViewsDetector } from './shared/dailyViews';
import { DailyViewOptions } from './shared/dailyViewsSettings';
import * as layout from './shared/dailyViewsLayout';

/**
 * The state layout, bound here once: run by tsx (CommonJS), each read of an imported binding is
 * two getter calls of esbuild's interop, megamorphic over the layout's names (40% of update()).
 */
const { S_ALARM_AT, S_LAST_SCORE, S_LAST_T } = layout;

export type FailureProphetV1Options = DetectorOptions & DailyViewOptions;

const VERSION = 4;
/** It adds no slots of its own, so none that start infinite. */
const NO_INFINITE_SLOTS: Readonly<Record<number, number>> = {};

/**
 * The product's detector until issue 12 (`failureprophet` v4), kept for comparison as
 * `failureprophet-v1`: an ensemble of two views of "normal", each turned into a calibrated tail
 * probability and combined on the shared -log10(p) scale, with one alarm per event.
 *
 * - Daily profile: per hour of day a moving mean and mean absolute deviation (a seasonal EWMA
 *   chart, as Holt-Winters' seasonal index); catches values wrong for their time of day.
 * - Slow baseline: one all-day moving mean and deviation with a slow rate (about 100 samples);
 *   catches level shifts, drifts and spikes against the series' long-run level, which the profile
 *   (learning each hour quickly) absorbs too fast, and works on series with no daily rhythm.
 *
 * Each view's surprise (distance from its mean in its deviations) is averaged over a few samples and
 * becomes a tail probability by peaks-over-threshold on the view's own history (SPOT, Siffer et al.,
 * KDD 2017, exponential tail), so one threshold means the same on every series, as HTM's anomaly
 * likelihood does. The views combine by their minimum p with a Bonferroni factor (p_min * 2).
 * `update()` then reports each event once, in two steps: a score counts only if it exceeds the
 * alarm memory (the largest recent score, held for `holdMs` after it was raised, decaying after),
 * and after a reported score at or above `alarmThreshold` (the level the caller opens anomalies
 * at) nothing is reported for `refractoryMs` (ARTime also mutes itself after a detection). `level`
 * is the same score without either suppression.
 */
export class FailureProphetV1Detector extends DailyViewsDetector implements StreamingDetector {
  readonly name = 'failureprophet-v1';

  constructor(options: FailureProphetV1Options = {}) {
    super(options, 0, NO_INFINITE_SLOTS);
  }

  update(timestampMs: number, value: number): number {
    const s = this.s;
    if (!Number.isFinite(value) || !(timestampMs > s[S_LAST_T])) {
      return s[S_LAST_SCORE];
    }
    const unsuppressed = this.learn(timestampMs, value);
    this.raiseLevel(timestampMs, value, unsuppressed);
    let score = this.remember(timestampMs, unsuppressed);
    // Refractory period: after an alarm the caller acts on, the same event is not reported again.
    if (timestampMs - s[S_ALARM_AT] < this.o.refractoryMs) {
      score = 0;
    } else if (score >= this.o.alarmThreshold) {
      this.openEvent(timestampMs);
    }
    s[S_LAST_SCORE] = score;
    return score;
  }

  toState(): DetectorState {
    return this.stateOf(VERSION, { ...this.o, trainingPoints: this.trainingPoints });
  }

  static fromState(state: unknown): FailureProphetV1Detector {
    const st = checkState(state, 'failureprophet-v1', VERSION);
    const d = new FailureProphetV1Detector(
      decodeStoredOptions(FAILUREPROPHET_V1_SETTINGS, st.options, 'failureprophet-v1')
    );
    d.restoreArrays(st);
    return d;
  }
}
