import { z } from 'zod';
import { timeToFailureSchema, type LimitDirection, type TimeToFailure } from '../../contract/pipeline';
import type { SignalModel } from './signal';

export interface PredictionRecord {
  targetId: string;
  watch: string;
  signal: string;
  madeAt: number;
  limit: number;
  direction: LimitDirection;
  seconds: number;
  lowerSeconds: number | null;
  upperSeconds: number | null;
}

/** A signal's prediction as its record stands: the forecast recorded last, and what was made since. */
export interface OpenPrediction {
  readonly recorded: TimeToFailure;
  /** Its crossing passed (recorded, as its end): nothing more is recorded until a crossing lies ahead again. */
  readonly passed: boolean;
  /** The last forecast made since, not recorded: the row that ends the prediction should it end now. */
  latest: TimeToFailure | null;
  /** Forecasts in a row whose crossing moved past `moveBeyond` from the recorded one, signed by the side (later: +). */
  moves: number;
}

/** An open prediction as the target's stored state holds it (store/targetState.ts). */
export const openPredictionSchema = z.object({
  recorded: timeToFailureSchema,
  passed: z.boolean(),
  latest: timeToFailureSchema.nullable(),
  moves: z.number().int(),
}) satisfies z.ZodType<OpenPrediction>;

/**
 * The forecast its signal keeps while the prediction is open and not passed: the last one made (at
 * the signal's last sample), the recorded one when none was made since. What a restored signal
 * keeps, so a missed sample right after a restart does not end the prediction.
 */
export function keptForecast(o: OpenPrediction): TimeToFailure | null {
  return o.passed ? null : (o.latest ?? o.recorded);
}

/** A target's open predictions, one per signal at most; NOT_PREDICTING while none (shared by the fleet). */
export type OpenPredictions = readonly OpenPrediction[];
export const NOT_PREDICTING: OpenPredictions = Object.freeze([]);

/** What a step adds to a target's record of predictions, and its open predictions after it. */
export interface PredictionStep {
  rows: readonly PredictionRecord[];
  open: OpenPredictions;
}

/** Nothing recorded, nothing open: what nearly every step of a fleet's targets returns, without allocating. */
const NOTHING: PredictionStep = Object.freeze({ rows: Object.freeze([]), open: NOT_PREDICTING });

/**
 * Forecasts in a row that must say the crossing moved before a move is recorded: a forecast jumps
 * for a sample or two and comes back (a bucket boundary, one odd sample), which is the forecaster's
 * noise rather than a new prediction. A move that holds is recorded two steps late.
 */
const MOVE_CONFIRMED_BY = 3;

/**
 * The prediction rows a target records at step t from its signals' forecasts. A forecast is made
 * again at every sample and says nearly the same each time, so a row a step (1,036 in 54 h for one
 * leak) buried what changed. A row is recorded when a prediction starts (none of that signal, limit
 * and direction open), when its crossing moves (`moveBeyond`, held for MOVE_CONFIRMED_BY forecasts),
 * and when it ends: its crossing passed (the forecast that says so), or it was dropped (the last
 * forecast it held). A passed prediction stays passed while its signal hovers at the limit, the
 * forecast coming and going as the samples straddle it, until a crossing lies ahead again.
 *
 * `open` is part of the stored target state, so a restart records nothing for a prediction that goes
 * on as it was; one that ended while the backend was down is ended by the replay of those steps.
 */
export function recordPredictions(
  target: { id: string; watch: string },
  signals: ReadonlyArray<Pick<SignalModel, 'spec' | 'ttf'>>,
  t: number,
  open: OpenPredictions
): PredictionStep {
  let rows: PredictionRecord[] | undefined;
  let after: OpenPrediction[] | undefined;
  for (const s of signals) {
    const was = open.find((o) => o.recorded.signal === s.spec.name);
    const change = changeOf(was, s.ttf, t);
    if (!change) {
      continue;
    }
    rows ??= [];
    after = (after ?? open).filter((o) => o !== was);
    if (change.end) {
      rows.push(rowOf(target, change.end));
    }
    if (change.next) {
      rows.push(rowOf(target, change.next.recorded));
      after.push(change.next);
    }
  }
  if (rows === undefined || after === undefined) {
    return open.length === 0 ? NOTHING : { rows: NOTHING.rows, open };
  }
  return { rows, open: after.length === 0 ? NOT_PREDICTING : after };
}

/** A signal's prediction replaced: the row that ends it (if one is due) and the one that follows (null: none). */
interface Change {
  end: TimeToFailure | null;
  next: OpenPrediction | null;
}

/**
 * What the forecast `f` of step t changes in the signal's open prediction `was`; undefined: it goes
 * on as it was (its latest forecast and moves updated in place).
 */
function changeOf(was: OpenPrediction | undefined, f: TimeToFailure | null, t: number): Change | undefined {
  if (!f) {
    return was && !was.passed ? { end: was.latest, next: null } : undefined;
  }
  if (f.fromMs !== t) {
    return undefined; // kept from an earlier sample: not made again
  }
  if (!was || was.recorded.limit !== f.limit || was.recorded.direction !== f.direction) {
    return { end: was?.latest ?? null, next: opening(f) };
  }
  if (was.passed) {
    // Its crossing is now: a forecast that moved ahead of now by more than it allows is a new prediction.
    return f.seconds > moveBeyond(f, f) ? { end: null, next: opening(f) } : undefined;
  }
  const by = crossingAt(f) - crossingAt(was.recorded);
  const side = Math.abs(by) / 1000 > moveBeyond(was.recorded, f) ? Math.sign(by) : 0;
  was.moves = side !== 0 && Math.sign(was.moves) === side ? was.moves + side : side;
  if (crossed(f) || Math.abs(was.moves) >= MOVE_CONFIRMED_BY) {
    return { end: null, next: opening(f) };
  }
  was.latest = f;
  return undefined;
}

function opening(f: TimeToFailure): OpenPrediction {
  return { recorded: f, passed: crossed(f), latest: null, moves: 0 };
}

/** The forecaster says 0 s once its signal is at or beyond the limit. */
function crossed(ttf: TimeToFailure): boolean {
  return ttf.seconds === 0;
}

/**
 * Seconds a forecast's crossing must move from the prediction recorded (`from`) to be recorded
 * again: the larger of an interval's half-width and a tenth of the time the forecast (`now`)
 * leaves. A move inside both intervals is one each forecast allowed for; one outside either (the
 * recorded prediction contradicted, or a later, surer forecast ruling it out) is news. Far out,
 * re-fitting moves the crossing minutes either way at every sample, which changes nothing anyone
 * would do 18 h ahead; a tenth of what is left is a change of plan at any distance, and makes the
 * rows denser as the crossing nears rather than one a step.
 */
function moveBeyond(from: TimeToFailure, now: TimeToFailure): number {
  return Math.max(Math.min(halfWidth(from), halfWidth(now)), 0.1 * now.seconds);
}

/** An interval without an upper edge is measured on its lower side. */
function halfWidth(ttf: TimeToFailure): number {
  return ttf.upperSeconds === null ? ttf.seconds - ttf.lowerSeconds : (ttf.upperSeconds - ttf.lowerSeconds) / 2;
}

function crossingAt(ttf: TimeToFailure): number {
  return ttf.fromMs + ttf.seconds * 1000;
}

function rowOf(target: { id: string; watch: string }, ttf: TimeToFailure): PredictionRecord {
  return {
    targetId: target.id,
    watch: target.watch,
    signal: ttf.signal,
    madeAt: ttf.fromMs,
    limit: ttf.limit,
    direction: ttf.direction,
    seconds: ttf.seconds,
    lowerSeconds: ttf.lowerSeconds,
    upperSeconds: ttf.upperSeconds,
  };
}
