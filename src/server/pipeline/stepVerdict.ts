import { assess } from '../../detection';
import type { FailureModel, Severity, TimeToFailure } from '../../contract/pipeline';
import { departureLabel, type SignalDeparture } from '../../contract/signalDepartures';
import { benignReach, NO_BENIGN_EXCURSIONS, type BenignExcursion } from './benignExcursions';
import type { Alarm } from './episodes';
import { calledExcursions, heldExcursions, NO_EXCURSIONS, stillOut, type FaultExcursion } from './faultExcursions';
import { forecastScore, TTF_ALARM_SECONDS } from './forecastScore';
import { levelOf, peakOf, sideOf, type SignalModel } from './signal';
import { earliestLeft } from './timeToFailure';
import { stopVerdict, type Absence } from './vanished';

/** One scored step of a target, as its verdict reads it. */
export interface ScoredStep {
  t: number;
  signals: readonly SignalModel[];
  threshold: number;
  /** The target's score at t: its highest signal score, or its departure from its peers. */
  score: number;
  /** The soonest crossing forecast at t (made at t, or kept from a signal's last sample). */
  ttf: TimeToFailure | null;
  peer?: { score: number; signal: string };
  /** Why the target has no sample at t, when it has none (vanished.ts). */
  absence?: Absence;
  /** An anomaly is open on the target. */
  open: boolean;
  /** What the operator marked as false positives left the target with (benignExcursions.ts). */
  benign?: readonly BenignExcursion[];
  /** The target has stayed abnormal since a step left unalarmed as benign (the last verdict's `benignRun`). */
  benignRun?: boolean;
  /** The fault calls' excursions its open episode holds (faultExcursions.ts). */
  excursions?: readonly FaultExcursion[];
}

/** What a scored step says: the target's severity and failure model, and what it does to the target's episode. */
export interface StepVerdict {
  severity: Severity | null;
  failureModel: FailureModel | null;
  /** The step alarms: it opens or extends the episode. */
  alarm?: Alarm;
  /** No alarm, yet a signal is still abnormal: the open episode lasts. */
  persists: boolean;
  /** No alarm because benign, or still abnormal since one: the next step's `benignRun`. */
  benignRun?: boolean;
  /** The fault calls' excursions the open episode holds after this step (absent: none, or no episode). */
  excursions?: readonly FaultExcursion[];
}

/** The verdict of a scored step (after the target's probation). */
export function verdictOf(step: ScoredStep): StepVerdict {
  const { t, signals, threshold, ttf, peer, absence } = step;
  const peerOutlier = peer !== undefined && peer.score >= threshold;
  const benign = step.score >= threshold && onlyBenign(step);
  const escaped = step.benignRun ? escapedBenign(step) : [];
  const near = ttf !== null && earliestLeft(ttf, t) <= TTF_ALARM_SECONDS;
  const alarm = (step.score >= threshold && !benign) || escaped.length > 0 || near;
  const benignRun = !alarm && (benign || (step.benignRun === true && abnormal(step)));
  // An escaped signal's detector reported the event already: its level says how abnormal it is.
  const scoreOf = (s: SignalModel): number => (escaped.includes(s) ? levelOf(s) : s.score);
  if (!alarm && !step.open) {
    return { severity: ttf ? 'low' : null, failureModel: null, persists: false, benignRun };
  }
  const held = heldExcursions(step.excursions ?? NO_EXCURSIONS, t);
  const stopped = signals.filter((s) => stoppedAt(s, step)).map((s) => s.spec.name);
  const verdict =
    stopped.length > 0
      ? stopVerdict(absence, stopped, ttf ? earliestLeft(ttf, t) : Infinity)
      : assess({
          signals: signals.map((s) => ({
            name: s.spec.name,
            kind: s.spec.kind,
            score: s.lastAt === t ? scoreOf(s) : 0,
            direction: sideOf(s),
            timeToFailureSeconds: s.ttf ? earliestLeft(s.ttf, t) : Infinity,
          })),
          peerOutlier,
          threshold,
        });
  const { severity, failureModel } = verdict;
  if (!alarm) {
    // A fault's value still beyond where the series was keeps its episode, though the detector's level let go.
    const out = held.some((e) => stillOut(e, signals, t));
    return { severity, failureModel, persists: abnormal(step) || out, benignRun, excursions: held };
  }
  const moved: SignalDeparture[] = signals
    .filter((s) => s.lastAt === t && s.score >= threshold)
    .concat(escaped)
    .map((s) => ({ signal: s.spec.name, kind: 'band' }));
  moved.push(...stopped.map((signal) => ({ signal, kind: 'stop' as const })));
  if (peerOutlier) {
    moved.push({ signal: peer.signal, kind: 'peer' });
  }
  if (ttf && near) {
    // Its time left is the target's forecast (and the predictions'): in the name, each step would name another signal.
    moved.push({ signal: ttf.signal, kind: 'forecast' });
  }
  const detected = Math.max(step.score, ...escaped.map(scoreOf));
  const forecast = ttf ? forecastScore(earliestLeft(ttf, t)) : 0;
  // Where the score came from: the forecast's signal when it outscores every detector (none, if that has no value at t).
  const peak =
    forecast > detected
      ? signals.find((s) => s.spec.name === ttf?.signal && s.lastAt === t)
      : signals.reduce(
          (best, s) => (s.lastAt === t && scoreOf(s) > (best ? scoreOf(best) : -1) ? s : best),
          undefined as SignalModel | undefined
        );
  return {
    severity,
    failureModel,
    persists: false,
    excursions: held.concat(calledExcursions(signals, t, threshold, held)),
    alarm: {
      t,
      score: Math.max(detected, forecast),
      severity,
      failureModel,
      reasons: verdict.reasons,
      signals: moved.map(departureLabel),
      direction: peak ? sideOf(peak) : undefined,
      peak: peak ? peakOf(peak, t) : undefined,
    },
  };
}

/** Whether the signal's gap at the step is abnormal by itself: its series stopped (told by this target). */
function stoppedAt(s: SignalModel, { t, absence, threshold }: ScoredStep): boolean {
  return absence !== 'partitioned' && s.missingAt === t && (s.detector.missingRunLevel ?? levelOf(s)) >= threshold;
}

/**
 * Whether a signal is still abnormal at the step: its detector's unsuppressed level (or its score,
 * for detectors without one) at the threshold, whatever detector it is.
 */
function abnormal(step: ScoredStep): boolean {
  return step.signals.some((s) => (s.lastAt === step.t && levelOf(s) >= step.threshold) || stoppedAt(s, step));
}

/**
 * Whether the step's score comes only from signals within a benign excursion of their side: what the
 * operator called a false positive, again, departing no further from the value expected now (wherever
 * the baseline has moved since). A signal that stopped, a departure from the peers or a signal without
 * one on its side is another fault, and alarms as before.
 */
function onlyBenign({ t, signals, threshold, peer, absence, benign = NO_BENIGN_EXCURSIONS }: ScoredStep): boolean {
  if (benign.length === 0 || (peer !== undefined && peer.score >= threshold)) {
    return false;
  }
  return signals.every((s) => {
    if (s.lastAt === t) {
      return s.score < threshold || benignReach(s, benign) === 'within';
    }
    // A gap scored at the threshold: the series stopped (a partition's gaps are told by one target, vanished.ts).
    return !(s.missingAt === t && absence !== 'partitioned' && s.score >= threshold);
  });
}

/**
 * Signals past every benign excursion of their side, at a step of a run that started benign, whose
 * detector reported the event then (its score is back under the threshold, its level is not): an
 * excursion that started as the benign one and kept growing. Its first steps opened nothing, so it
 * alarms now that it is larger than any. Outside such a run a score under the threshold is the
 * detector's own call, as before.
 */
function escapedBenign({ t, signals, threshold, benign = NO_BENIGN_EXCURSIONS }: ScoredStep): SignalModel[] {
  if (benign.length === 0) {
    return [];
  }
  return signals.filter(
    (s) => s.lastAt === t && s.score < threshold && levelOf(s) >= threshold && benignReach(s, benign) === 'beyond'
  );
}
