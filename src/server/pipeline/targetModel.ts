import { restoreDetector, type CrossingForecaster, type StreamingDetector } from '../../detection';
import {
  FAR_LIMIT,
  FORECAST_STALE_STEPS,
  secondsLeft,
  type FailureModel,
  type FarLimit,
  type KubernetesObject,
  type NoForecast,
  type Severity,
  type TargetDetail,
  type TimeToFailure,
} from '../../contract/pipeline';
import { NO_BENIGN_EXCURSIONS, type BenignExcursion } from './benignExcursions';
import { Episodes, type AnomalyRecord } from './episodes';
import { NO_EXCURSIONS, stillOut } from './faultExcursions';
import { keptForecast, NOT_PREDICTING, recordPredictions, type PredictionRecord } from './predictionRecord';
import { RecentSteps } from './recentSteps';
import {
  freshModels,
  keptScore,
  levelOf,
  restoreForecaster,
  SignalModel,
  scoresMissing,
  type ModelSettings,
  type SignalSpec,
} from './signal';
import { forecastScore } from './forecastScore';
import { earliestLeft, farLimitOf, nearerForecast, soonestCrossing } from './timeToFailure';
import { verdictOf } from './stepVerdict';
import type { TargetModelState } from './store/targetState';
import type { Absence } from './vanished';

export type { PredictionRecord } from './predictionRecord';
export type { AnomalyRecord } from './episodes';
export type { TargetModelState } from './store/targetState';
export { freshModels, type SignalSpec } from './signal';

/** What every target of one watch shares. */
export interface TargetSettings extends ModelSettings {
  closeAfter: number;
  detailPoints: number;
}

/** What a target hands over to be stored: anomalies closed or changed, and predictions made, since the last hand-over. */
export interface TargetChanges {
  anomalies: readonly AnomalyRecord[];
  /** How many of `anomalies`, the newest, were opened since the last hand-over (not stored before). */
  opened: number;
  predictions: readonly PredictionRecord[];
}

/** No predictions: one frozen array for every target with none to hand over (an empty array each is 32 B). */
const NO_PREDICTIONS: readonly PredictionRecord[] = Object.freeze([]);

/**
 * The streaming state of one target: a detector (and, for signals with a limit, a forecaster) per
 * signal, the anomaly it has open, and a short ring of recent steps for the detail view.
 */
export class TargetModel {
  /** Built exactly as long as it is (concat, map): an array grown by a push or a spread keeps room for 16 more (152 B a target). */
  private signalList: SignalModel[] = [];
  steps = 0;
  samples = 0;
  firstAt = NaN;
  lastAt = NaN;
  /** The last step scored, one without any sample included (lastAt: the last with a sample). */
  private scoredAt = NaN;
  /** The last step `step` was called for, scored or not: where a kept time to failure is counted down to. */
  private ttfAt = NaN;
  score = 0;
  severity: Severity | null = null;
  failureModel: FailureModel | null = null;
  ttf: TimeToFailure | null = null;
  /** Version of the model this state belongs to (0: not yet recorded in the store). */
  modelVersion = 0;
  /** What its operators marked as false positives left it with, set by retraining (benignExcursions.ts). */
  benign: readonly BenignExcursion[] = NO_BENIGN_EXCURSIONS;
  /** Abnormal since a step left unalarmed as benign (StepVerdict.benignRun; not stored: a restart forgets one). */
  private benignRun = false;
  private readonly episodes: Episodes;
  /** Prediction rows recorded since the last hand-over. */
  private made: readonly PredictionRecord[] = NO_PREDICTIONS;
  /** Its signals' predictions not ended yet (predictionRecord.ts). */
  private predicting = NOT_PREDICTING;
  /** A signal's forecast went out of date since the last hand-over (its gauge is to be dropped). */
  private lapsed = false;
  private readonly recentSteps: RecentSteps;
  /**
   * The target's slot in its watch's aligned answer (alignment.ts), valid while that slot holds this
   * target: a field, not a map of the watch's targets to their slots (~40 B a target, issue 16).
   */
  alignedSlot = 0;

  constructor(
    readonly id: string,
    readonly watch: string,
    readonly labels: Record<string, string>,
    readonly object: KubernetesObject | null,
    readonly settings: TargetSettings,
    public threshold: number
  ) {
    this.recentSteps = new RecentSteps(settings.detailPoints, settings.stepMs);
    // The target is its episodes' identity (id, watch, labels): no copy of those three in each target.
    this.episodes = new Episodes(this, settings.closeAfter);
  }

  get signals(): readonly SignalModel[] {
    return this.signalList;
  }

  /** The anomaly open on this target, if any: the one held while it relearns (Episodes.hold) included. */
  get open(): AnomalyRecord | null {
    return this.episodes.open ?? this.episodes.held?.anomaly ?? null;
  }

  /** Hands over what changed since the last call, once: the caller stores it. */
  takeChanges(): TargetChanges {
    const predictions = this.takePredictions();
    this.lapsed = false;
    const opened = this.episodes.unstored;
    return { anomalies: this.episodes.take(), opened, predictions };
  }

  /**
   * Hands over the prediction rows recorded since the last hand-over, once: a target not scored has
   * no other change, but its forecast going out of date ends its prediction (soonestKept).
   */
  takePredictions(): readonly PredictionRecord[] {
    const made = this.made;
    this.made = NO_PREDICTIONS;
    return made;
  }

  /**
   * Whether a signal's forecast went out of date at a step that scored nothing (no sample, the
   * target removed) since the last hand-over; once: the caller drops its gauge.
   */
  takeLapsed(): boolean {
    const lapsed = this.lapsed;
    this.lapsed = false;
    return lapsed;
  }

  /** Why the target has no time to failure (undefined: it has one). */
  get noForecast(): NoForecast | undefined {
    if (this.ttf) {
      return undefined;
    }
    let why: NoForecast | null = null;
    for (const s of this.signalList) {
      if (s.forecaster) {
        // None said yet (restored, not stepped since): no sample since the restart.
        why = nearerForecast(why, this.learning ? 'learning' : (s.noForecast ?? 'no recent sample'));
      }
    }
    return why ?? 'no limit';
  }

  /** The limit its FAR_LIMIT reason is about (undefined: it gives another, or none). */
  get farLimit(): FarLimit | undefined {
    if (this.noForecast !== FAR_LIMIT) {
      return undefined;
    }
    for (const s of this.signalList) {
      const far = farLimitOf(s);
      if (far) {
        return far;
      }
    }
    return undefined;
  }

  /** The last step scored, one without any sample included. */
  get seenAt(): number {
    return this.scoredAt;
  }

  /** The time to failure left at the last step stepped (one nothing was scored at included: a kept forecast counts down). */
  get ttfSecondsLeft(): number | null {
    return this.ttf ? secondsLeft(this.ttf, Math.max(this.ttfAt, this.ttf.fromMs)) : null;
  }

  get learning(): boolean {
    return this.steps < this.settings.probation;
  }

  /** How far the learning period is, in [0, 1] (replayed history counts). */
  get learningProgress(): number {
    return this.settings.probation > 0 ? Math.min(1, this.steps / this.settings.probation) : 1;
  }

  /** Seconds of data still to learn from at this watch's step before the target may alarm. */
  get learningSecondsLeft(): number {
    return (Math.max(0, this.settings.probation - this.steps) * this.settings.stepMs) / 1000;
  }

  /**
   * How abnormal the target is now: its score at the last step, or higher where a signal's detector
   * says it is still abnormal though it reported the event already (its unsuppressed `level`, which
   * keeps an episode open), or its near limit forecast's score (forecastScore.ts): a forecast raises an
   * anomaly with no value unusual, and healing must not take it for recovered; a fault's value still
   * beyond where the series was (faultExcursions.ts) stays as abnormal as its call. What healing reads
   * to tell whether the target recovered.
   */
  get level(): number {
    let level = Math.max(this.score, this.ttf ? forecastScore(earliestLeft(this.ttf, this.scoredAt)) : 0);
    for (const s of this.signalList) {
      if (s.lastAt === this.scoredAt || s.missingAt === this.scoredAt) {
        level = Math.max(level, keptScore(levelOf(s)));
      }
    }
    for (const e of this.episodes.excursions) {
      if (stillOut(e, this.signalList, this.scoredAt)) {
        level = Math.max(level, e.score);
      }
    }
    return level;
  }

  /**
   * Seconds of data its detectors still learn the series' shapes from after the learning period:
   * meanwhile only gross faults (far beyond the range, a drop to zero, stuck, stopped) open anomalies.
   */
  get faultsOnlySecondsLeft(): number {
    let samples = 0;
    for (const s of this.signalList) {
      samples = Math.max(samples, s.detector.faultsOnlySamplesLeft ?? 0);
    }
    return (samples * this.settings.stepMs) / 1000;
  }

  /** Index of a signal, adding it (with fresh models) on first sight. */
  signalIndex(spec: SignalSpec): number {
    const found = this.signals.findIndex((s) => s.spec.name === spec.name);
    if (found >= 0) {
      return found;
    }
    const models = freshModels(spec, this.settings, this.threshold);
    const signal = new SignalModel(spec, models.detector, models.forecaster, this.settings.detailPoints);
    this.signalList = this.signalList.concat(signal);
    return this.signalList.length - 1;
  }

  /**
   * Scores one step. `values[i]` belongs to signals[i] (NaN: no sample). `peer` is the target's
   * departure from its replicas at this step, when it has a peer group; `absence` why the target
   * has no sample at all at this step, when it has none (vanished.ts).
   *
   * A signal seen before without a sample is a missing step for its detector (when the detector
   * scores gaps): a run of them is a series that stopped. A step with only missing samples does
   * not move lastAt, nor count as a step learned from.
   */
  step(t: number, values: ArrayLike<number>, peer?: { score: number; signal: string }, absence?: Absence): void {
    if (!(t > this.scoredAt) && !Number.isNaN(this.scoredAt)) {
      return; // duplicate or out-of-order step: already scored
    }
    const gaps = absence !== 'removed' && scoresMissing(this.settings.detector);
    let any = false;
    let missed = false;
    let score = 0;
    for (let i = 0; i < this.signals.length; i++) {
      const s = this.signals[i];
      const v = values[i];
      if (!Number.isFinite(v)) {
        if (gaps && !Number.isNaN(s.lastAt)) {
          missed = true;
          s.score = keptScore(s.detector.update(t, NaN));
          s.missingAt = t;
          // A partition is told by one member of the group: the others' gaps are not alarms of their own.
          if (absence !== 'partitioned') {
            score = Math.max(score, s.score);
          }
        }
        continue;
      }
      any = true;
      s.score = keptScore(s.detector.update(t, v));
      s.value = v;
      s.expected = s.detector.expected;
      s.lower = s.detector.lower;
      s.upper = s.detector.upper;
      s.direction = v > s.upper ? 'above' : v < s.lower ? 'below' : 'none';
      s.lastAt = t;
      if (s.forecaster) {
        s.forecaster.update(t, v);
        // No time to failure while learning: nothing else the target says is trusted yet either.
        const crossing = this.learning ? 'learning' : soonestCrossing(s, t, this.settings.stepMs);
        s.ttf = typeof crossing === 'string' ? null : crossing;
        s.noForecast = typeof crossing === 'string' ? crossing : null;
      }
      score = Math.max(score, s.score);
    }
    const ttf = this.soonestKept(t, absence);
    this.ttf = ttf;
    this.ttfAt = t;
    // At a step that scores nothing too: a forecast dropped as out of date ends its prediction.
    const recorded = recordPredictions(this, this.signals, t, this.predicting);
    this.predicting = recorded.open;
    if (recorded.rows.length > 0) {
      this.made = this.made.concat(recorded.rows);
    }
    if (!any && !missed) {
      return;
    }
    this.scoredAt = t;
    // Learning included: a relearned target that cannot alarm yet cannot find its held anomaly either.
    this.episodes.reach(t);
    if (any) {
      if (Number.isNaN(this.firstAt)) {
        this.firstAt = t;
      }
      this.lastAt = t;
      this.steps++;
      this.samples++;
      this.recentSteps.record(t, this.signals, this.threshold);
    }
    this.score = Math.max(score, peer?.score ?? 0);
    if (this.learning) {
      return;
    }
    const verdict = verdictOf({
      t,
      signals: this.signals,
      threshold: this.threshold,
      score: this.score,
      ttf,
      peer,
      absence,
      open: this.open !== null,
      benign: this.benign,
      benignRun: this.benignRun,
      excursions: this.episodes.excursions,
    });
    this.benignRun = verdict.benignRun === true;
    this.severity = verdict.severity;
    this.failureModel = verdict.failureModel;
    if (verdict.alarm) {
      this.episodes.alarm(verdict.alarm);
      this.episodes.keep(verdict.excursions ?? NO_EXCURSIONS);
      return;
    }
    if (verdict.persists) {
      this.episodes.persist(t);
    }
    this.episodes.keep(verdict.excursions ?? NO_EXCURSIONS);
    this.episodes.calm(t);
  }

  /**
   * The soonest crossing among its signals' forecasts at step t. A signal without a sample at t keeps
   * its forecast (counted from when it was made) until its next one, for FORECAST_STALE_STEPS steps
   * at most: a missed scrape does not blank the target, and a series that stopped, or left service
   * discovery (`removed`: at once), leaves no countdown that no longer counts.
   */
  private soonestKept(t: number, absence: Absence | undefined): TimeToFailure | null {
    let soonest: TimeToFailure | null = null;
    for (const s of this.signalList) {
      // A kept forecast was made at its signal's last sample: its own time counts where a restored
      // signal has no last sample (its forecast is restored with the open predictions, fromState).
      const lastSample = s.ttf?.fromMs ?? s.lastAt;
      const stale = absence === 'removed' || !(t - lastSample <= FORECAST_STALE_STEPS * this.settings.stepMs);
      if (s.forecaster && s.lastAt !== t && stale && s.noForecast !== 'no recent sample') {
        this.lapsed ||= s.ttf !== null;
        s.ttf = null;
        s.noForecast = 'no recent sample';
      }
      if (s.ttf && (soonest === null || earliestLeft(s.ttf, t) < earliestLeft(soonest, t))) {
        soonest = s.ttf;
      }
    }
    return soonest;
  }

  /** Closes the open anomaly (quiet long enough, or the target disappeared). */
  close(): void {
    this.episodes.close();
  }

  /**
   * The target is forgotten (no sample for pipeline.staleAfter): its open anomaly closes, and its
   * open predictions end with the last forecasts they held, as a dropped forecast ends one (a
   * staleAfter shorter than FORECAST_STALE_STEPS steps forgets it while its forecast is kept).
   */
  forget(): void {
    this.close();
    const ended = recordPredictions(
      this,
      this.signalList.map((s) => ({ spec: s.spec, ttf: null })),
      this.ttfAt,
      this.predicting
    );
    this.predicting = NOT_PREDICTING;
    if (ended.rows.length > 0) {
      this.made = this.made.concat(ended.rows);
    }
  }

  /** Recent steps of each signal, oldest first, for the detail view. */
  recent(): TargetDetail['series'] {
    return this.recentSteps.recent(this.signals);
  }

  /**
   * The target's score (its highest signal score) at each recent step, `[t, score]` oldest first,
   * downsampled to at most `maxPoints` keeping each slice's peak: the Overview's sparkline.
   */
  scoreHistory(maxPoints?: number): Array<[number, number]> {
    return this.recentSteps.scoreHistory(this.signals, maxPoints);
  }

  /**
   * Forgets what the target learned and where it stood, keeping who it is: its last step was after
   * the step being scored (stored by a clock that ran ahead, or a corrupt row: WatchRunner.relearnAhead).
   * The samples between were never seen, so the sequence its detectors learned is broken, and it may
   * itself lie ahead (a detector ignores a sample not after its last one): fresh models at its
   * threshold, nothing learned (its learning period again), no step scored, no model version yet
   * (one is recorded once it has learned again). Its open anomaly is held until the history replayed
   * up to `end` finds it again, and goes on, or passes it, and it closes (Episodes.hold).
   */
  relearn(end: number): void {
    this.episodes.hold(end, this.settings.stepMs);
    for (const s of this.signalList) {
      s.restart(freshModels(s.spec, this.settings, this.threshold));
    }
    this.steps = 0;
    this.samples = 0;
    this.firstAt = NaN;
    this.lastAt = NaN;
    this.scoredAt = NaN;
    this.score = 0;
    this.severity = null;
    this.failureModel = null;
    this.ttf = null;
    this.modelVersion = 0;
    this.recentSteps.clear();
  }

  /** Fresh detectors and forecasters (retraining builds them, then swaps them in). */
  replaceModels(
    models: Array<{ name: string; detector: StreamingDetector; forecaster?: CrossingForecaster }>,
    threshold: number,
    version: number
  ): void {
    for (const m of models) {
      const s = this.signals.find((x) => x.spec.name === m.name);
      if (s) {
        s.detector = m.detector;
        s.forecaster = m.forecaster;
      }
    }
    this.threshold = threshold;
    this.modelVersion = version;
  }

  toState(): TargetModelState {
    return {
      version: 1,
      steps: this.steps,
      samples: this.samples,
      firstAt: Number.isNaN(this.firstAt) ? null : this.firstAt,
      lastAt: Number.isNaN(this.lastAt) ? null : this.lastAt,
      threshold: this.threshold,
      modelVersion: this.modelVersion,
      open: this.episodes.open,
      quiet: this.episodes.quietSteps,
      ...(this.benign.length > 0 ? { benign: [...this.benign] } : {}),
      ...(this.episodes.held ? { held: this.episodes.held } : {}),
      ...(this.episodes.excursions.length > 0 ? { excursions: [...this.episodes.excursions] } : {}),
      ...(this.predicting.length > 0 ? { predicting: [...this.predicting] } : {}),
      signals: this.signals.map((s) => ({
        spec: s.spec,
        detector: s.detector.toState(),
        forecaster: s.forecaster?.toState(),
      })),
    };
  }

  static fromState(
    id: string,
    watch: string,
    labels: Record<string, string>,
    object: KubernetesObject | null,
    settings: TargetSettings,
    state: TargetModelState
  ): TargetModel {
    if (state?.version !== 1) {
      throw new Error(
        `target ${id}: stored state has version ${JSON.stringify(state?.version)}, this backend reads version 1`
      );
    }
    const m = new TargetModel(id, watch, labels, object, settings, state.threshold);
    m.steps = state.steps;
    m.samples = state.samples;
    m.firstAt = state.firstAt ?? NaN;
    m.lastAt = state.lastAt ?? NaN;
    m.scoredAt = m.lastAt;
    m.modelVersion = state.modelVersion;
    m.benign = state.benign ?? NO_BENIGN_EXCURSIONS;
    m.episodes.restore(state.open, state.quiet, state.held, state.excursions);
    m.signalList = state.signals.map(
      (s) =>
        new SignalModel(
          s.spec,
          restoreDetector(s.detector),
          restoreForecaster(s.spec, s.forecaster, settings),
          settings.detailPoints
        )
    );
    m.predicting = state.predicting ?? NOT_PREDICTING;
    for (const open of m.predicting) {
      const signal = m.signalList.find((s) => s.spec.name === open.recorded.signal);
      if (signal) {
        signal.ttf = keptForecast(open);
      }
    }
    return m;
  }
}
