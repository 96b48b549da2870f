import type { Direction, EpisodePeak, FailureModel, Severity } from '../../contract/pipeline';
import { NO_EXCURSIONS, type FaultExcursion } from './faultExcursions';

/**
 * An anomaly as the loop tracks it; `id` is known once it has been stored. A target's state stored
 * in the same commit as the anomaly's first insert holds it without its id: restored from there,
 * it is stored all the same, and its next write (an upsert on its target and start) finds its id.
 */
export interface AnomalyRecord {
  id?: number;
  targetId: string;
  watch: string;
  labels: Record<string, string>;
  start: number;
  end: number;
  peakScore: number;
  /** Absent: no signal scored at the peak step. */
  peak?: EpisodePeak;
  severity: Severity;
  failureModel: FailureModel;
  state: 'open' | 'closed';
  /** Each signal and the way it departed, named once (contract/signalDepartures.ts), in the order first seen. */
  signals: string[];
  direction: Direction;
  reasons: string[];
}

/** What an alarming step says about the target: opens an episode, or extends the open one. */
export interface Alarm {
  t: number;
  /** Its highest signal or peer score, or its near forecast's (forecastScore.ts) when higher. */
  score: number;
  severity: Severity;
  failureModel: FailureModel;
  reasons: string[];
  /** The signals that moved at this step, as they are named in the anomaly (departureLabel). */
  signals: string[];
  /** The side of the signal with the highest score at this step (undefined: no signal scored). */
  direction?: Direction;
  /** That signal, its value and its expected value at this step (undefined: no signal scored). */
  peak?: EpisodePeak;
}

/**
 * The anomaly that was open when its target relearned (Episodes.hold), until the relearned models
 * find it again or pass it: stored with the target's state, so a restart goes on waiting for it.
 */
export interface HeldAnomaly {
  anomaly: AnomalyRecord;
  /** The first step at which it is no longer the episode an alarm would extend: reached without one, it closes. */
  until: number;
}

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** No anomalies: one frozen array for every target with none to hand over. */
const NO_ANOMALIES: readonly AnomalyRecord[] = Object.freeze([]);

/**
 * The anomaly episodes of one target: an alarm opens one, further alarms (or a still abnormal
 * level, or a fault's value still beyond where the series was) extend it, and closeAfter quiet
 * steps close it. Its end is the first step seen normal again, so an episode spans [start, end)
 * with a real duration: a single abnormal step lasts one step, not zero. Keeps what changed until
 * it is taken, so the checkpoint stores each change once.
 */
export class Episodes {
  private current: AnomalyRecord | null = null;
  private quiet = 0;
  /** Closed since the last take: NO_ANOMALIES while none (an empty array in each of a fleet's targets is 32 B). */
  private closed: readonly AnomalyRecord[] = NO_ANOMALIES;
  /** The open anomaly changed since it was last taken. */
  private dirty = false;
  /**
   * Anomalies opened here since the last take: the newest of what the next take hands over, not yet
   * stored. Counted, not read from a missing id: a restored open anomaly may have none, yet is stored.
   */
  private opened = 0;
  /** The anomaly open when the target relearned, while the replay may still find it (null: none). */
  private heldOpen: HeldAnomaly | null = null;
  /** The fault calls' excursions that keep the open anomaly going while their values stay out (faultExcursions.ts). */
  private faultExcursions: readonly FaultExcursion[] = NO_EXCURSIONS;

  constructor(
    private readonly target: { id: string; watch: string; labels: Record<string, string> },
    private readonly closeAfter: number
  ) {}

  get open(): AnomalyRecord | null {
    return this.current;
  }

  /** Steps without alarm since the open anomaly last moved (part of the stored state). */
  get quietSteps(): number {
    return this.quiet;
  }

  /** How many of the anomalies the next take hands over, the newest, were opened since the last one (never stored). */
  get unstored(): number {
    return this.opened;
  }

  get held(): HeldAnomaly | null {
    return this.heldOpen;
  }

  /** The open anomaly's fault excursions (part of the stored state). */
  get excursions(): readonly FaultExcursion[] {
    return this.faultExcursions;
  }

  /** The state stored with a checkpoint: its open and held anomalies, if any, are stored too (with it or before it). */
  restore(
    open: AnomalyRecord | null,
    quiet: number,
    held: HeldAnomaly | null = null,
    excursions: readonly FaultExcursion[] = NO_EXCURSIONS
  ): void {
    this.current = open;
    this.quiet = quiet;
    this.opened = 0;
    this.heldOpen = held;
    this.faultExcursions = open ? excursions : NO_EXCURSIONS;
  }

  /** The fault excursions the open anomaly holds after this step (a step's verdict says which); none without one. */
  keep(excursions: readonly FaultExcursion[]): void {
    this.faultExcursions = this.current ? excursions : NO_EXCURSIONS;
  }

  /**
   * The target relearns from its history, replayed up to `end` (TargetModel.relearn): its open
   * anomaly is held rather than closed. Closed, listeners would hear a resolved fault, and then a
   * new one when the replay finds it again: healing would cancel or repeat what it proposed for it,
   * and the opened counter count it twice. Held, an alarm of the replay within it (from its start
   * until closeAfter steps after its end: where the old episode would have gone on) continues it,
   * its id and start kept; the first step past that without one closes it, once (reach). One that
   * starts after `end` (stored by a clock that ran ahead) cannot be found again: it closes now. One
   * opened since the last take was never stored nor told of: it closes now too, as it always did.
   */
  hold(end: number, stepMs: number): void {
    const open = this.current;
    if (!open) {
      return;
    }
    if (this.opened > 0 || open.start > end) {
      this.close();
      return;
    }
    this.closeHeld();
    this.heldOpen = { anomaly: open, until: Math.min(open.end, end) + this.closeAfter * stepMs };
    this.current = null;
    this.quiet = 0;
    this.faultExcursions = NO_EXCURSIONS;
  }

  /** The replay reached step t: a held anomaly it did not find again by now closes. */
  reach(t: number): void {
    if (this.heldOpen && t >= this.heldOpen.until) {
      this.closeHeld();
    }
  }

  alarm(a: Alarm): void {
    this.quiet = 0;
    this.current ??= this.foundAgain(a.t);
    if (!this.current) {
      this.current = {
        targetId: this.target.id,
        watch: this.target.watch,
        labels: this.target.labels,
        start: a.t,
        end: a.t,
        peakScore: a.score,
        peak: a.peak,
        severity: a.severity,
        failureModel: a.failureModel,
        state: 'open',
        signals: a.signals,
        direction: a.direction ?? 'none',
        reasons: a.reasons,
      };
      this.opened++;
    } else {
      const open = this.current;
      open.end = a.t;
      for (const name of a.signals) {
        if (!open.signals.includes(name)) {
          open.signals.push(name);
        }
      }
      const peaked = a.score > open.peakScore;
      // Severity, failure model and reasons are one step's assessment, never mixed from two (a failure
      // model over reasons about another): the gravest step's, of equally grave ones the peak score's.
      const graver = SEVERITY_RANK[a.severity] - SEVERITY_RANK[open.severity];
      if (graver > 0 || (graver === 0 && peaked)) {
        open.severity = a.severity;
        open.failureModel = a.failureModel;
        open.reasons = a.reasons;
      }
      if (peaked) {
        open.peakScore = a.score;
        open.peak = a.peak ?? open.peak;
        open.direction = a.direction ?? open.direction;
      }
    }
    this.dirty = true;
  }

  /** Still abnormal though not alarming again (a detector reports an event once): the episode goes on. */
  persist(t: number): void {
    this.current ??= this.foundAgain(t);
    if (this.current) {
      this.current.end = t;
      this.quiet = 0;
      this.dirty = true;
    }
  }

  /**
   * A step without alarm: the first one after the last abnormal step ends the episode there (the
   * signal was back to normal then); it closes once quiet for closeAfter steps.
   */
  calm(t: number): void {
    const open = this.current;
    if (!open || open.end === t) {
      return;
    }
    if (this.quiet === 0 && t > open.end) {
      open.end = t;
      this.dirty = true;
    }
    if (++this.quiet >= this.closeAfter) {
      this.close();
    }
  }

  /** Closes the open anomaly, and the held one (quiet long enough, or the target disappeared). */
  close(): void {
    this.closeHeld();
    this.faultExcursions = NO_EXCURSIONS;
    if (this.current) {
      this.current.state = 'closed';
      this.closed = this.closed.concat(this.current);
      this.current = null;
      this.dirty = false;
    }
  }

  /** The held anomaly, when the replay is at step t within it: it goes on as the open episode. */
  private foundAgain(t: number): AnomalyRecord | null {
    const held = this.heldOpen;
    if (!held || t < held.anomaly.start || t >= held.until) {
      return null;
    }
    this.heldOpen = null;
    this.dirty = true;
    return held.anomaly;
  }

  private closeHeld(): void {
    if (this.heldOpen) {
      this.heldOpen.anomaly.state = 'closed';
      this.closed = this.closed.concat(this.heldOpen.anomaly);
      this.heldOpen = null;
    }
  }

  /** The anomalies closed and the open one if it changed since the last take, oldest first. */
  take(): readonly AnomalyRecord[] {
    const changed = this.current && this.dirty ? this.closed.concat(this.current) : this.closed;
    this.closed = NO_ANOMALIES;
    this.dirty = false;
    this.opened = 0;
    return changed;
  }
}
