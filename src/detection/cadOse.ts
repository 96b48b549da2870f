import { checkState, DetectorOptions, DetectorState, num, stateEnvelope, StreamingDetector } from './detector';
import { isFiniteList, isRecord } from './shared/json';
import {
  Context,
  contextRow,
  factLists,
  Half,
  NEURON_FACT,
  pairKey,
  restoreContexts,
  SENSOR_FACT,
} from './cadOseMemory';
import { InputRange, RangeEstimate, rangeEstimateOf, ValueRange } from './inputRange';

/** 3: sparse ids (a bounded memory forgets contexts), each context's last use, the bound. */
const VERSION = 3;
/** The published settings: bits of the quantised value, longest left semi-context crossed into a new context, neurons kept active, alarm level. */
const VALUE_BITS = 3;
const MAX_LEFT_CROSSING = 7;
const MAX_ACTIVE_NEURONS = 15;
const BASE_THRESHOLD = 0.75;
const DEFAULT_TRAINING = 750;
const MAX_BIN = 2 ** VALUE_BITS - 1;

export interface CadOseOptions extends DetectorOptions {
  /** Without a hint: the probation's range is widened by this many spans on each side (RangeEstimate). */
  rangeMargin?: number;
  /** Without a hint: a value outside the estimated range moves its edge (true) or is clamped (false). */
  rangeRenormalise?: boolean;
  /** `cadose-bounded` only: most contexts held (default CADOSE_CONTEXTS). */
  maxContexts?: number;
}

/** The range estimate without a hint: see RESULTS.md (issue 12) for the cross-validated choice. */
export const CADOSE_RANGE_ESTIMATE: RangeEstimate = { margin: 0.5, renormalise: false };
/** `cadose-bounded`'s default bound: see RESULTS.md (issue 12, det12c) for the cross-validated choice. */
export const CADOSE_CONTEXTS = 2048;
/** Fewer contexts than this cannot hold one step's new ones and the contexts they were crossed from. */
const MIN_CONTEXTS = 16;
/**
 * CAD OSE, the Contextual Anomaly Detector Open Source Edition (Mikhail Smirnov, 2016,
 * github.com/smirmik/CAD; second on the NAB leaderboard). Assumes a normal stream is predictable
 * from contexts: each value is quantised to 3 bits over the value range, and each bit is a fact.
 * A context pairs the facts of the previous step (sensor facts plus the most active contexts, as
 * "neurons") with the facts that followed; contexts are learned online, and new ones are crossed
 * from partially matching ones. The score is 0 when every current fact was predicted by the best
 * contexts, else the mean of the share of selected contexts that failed and the share of new
 * contexts the step created; after a score of 0.75 or more it rests (returns 0) for a fifth of the
 * probation, and during the first fifth. The range is the file's min/max when hinted (as NAB did).
 * Without the hint (the product) the probation is buffered (scoring 0) and, when it ends, the range
 * is estimated from it (CADOSE_RANGE_ESTIMATE) and the probation replayed in order, so that no
 * context is learned on a scale that later moves.
 *
 * `cadose-bounded` (`CadOseDetector.bounded`) holds at most `maxContexts` contexts: when a new one
 * would exceed the bound, the least recently used is forgotten (used = created or fully activated:
 * the usual replacement rule of a fixed-size cache), and with it any semi-context no remaining
 * context uses. Its memory, state and time per step stay bounded; the published detector's memory
 * grows with the series (230 KB of state after 20,000 points).
 */
export class CadOseDetector implements StreamingDetector {
  readonly name: 'cadose' | 'cadose-bounded';
  readonly expected = NaN;
  readonly lower = NaN;
  readonly upper = NaN;
  private readonly restPeriod: number;
  private readonly halves = [new Half(), new Half()];
  /** By id, in the order they were made (ids only grow). */
  private contexts = new Map<number, Context>();
  private nextContextId = 0;
  /** Counts creations and full activations: a context's lastUsed. */
  private useClock = 0;
  /** Most contexts held (Infinity: unbounded, as published). */
  private readonly maxContexts: number;
  /** The zero-level context created this step, excluded from its own evaluation. */
  private newContext: Context | undefined;
  private leftFacts: number[] = [];
  private predicted = new Set<number>();
  /** Raw scores since the last one >= BASE_THRESHOLD (the reference starts with such a score). */
  private sinceHigh = 0;
  private range: ValueRange;
  /** Probation values awaiting the range estimate (none with a hint, and none once it ends). */
  private pending: number[] = [];
  private buffering: boolean;
  private readonly probation: number;
  private lastT = -Infinity;
  private lastScore = 0;

  constructor(options: CadOseOptions = {}, hint?: InputRange, maxContexts = Infinity) {
    if (!(maxContexts === Infinity || (Number.isInteger(maxContexts) && maxContexts >= MIN_CONTEXTS))) {
      throw new Error(`maxContexts must be an integer >= ${MIN_CONTEXTS}, got ${String(maxContexts)}`);
    }
    this.maxContexts = maxContexts;
    this.name = maxContexts === Infinity ? 'cadose' : 'cadose-bounded';
    this.range = ValueRange.of(hint, rangeEstimateOf(options, CADOSE_RANGE_ESTIMATE));
    const tp = options.trainingPoints;
    this.probation = typeof tp === 'number' && Number.isFinite(tp) && tp >= 5 ? Math.floor(tp) : DEFAULT_TRAINING;
    this.restPeriod = Math.floor(this.probation / 5);
    this.buffering = hint === undefined;
  }

  /** The bounded variant (`cadose-bounded`): see the class comment. */
  static bounded(options: CadOseOptions = {}, hint?: InputRange): CadOseDetector {
    return new CadOseDetector(options, hint, options.maxContexts ?? CADOSE_CONTEXTS);
  }

  /** Contexts held now (bounded: at most maxContexts). */
  get contextCount(): number {
    return this.contexts.size;
  }

  /** True while the probation is buffered (no hint): nothing is scored yet. */
  get learning(): boolean {
    return this.buffering;
  }

  update(timestampMs: number, value: number): number {
    if (!Number.isFinite(value) || !(timestampMs > this.lastT)) {
      return this.lastScore;
    }
    this.lastT = timestampMs;
    this.range.see(value);
    if (this.buffering) {
      this.pending.push(value);
      if (this.pending.length === this.probation) {
        this.range.settle();
        this.buffering = false;
        const replay = this.pending;
        this.pending = [];
        // The probation replayed on the settled scale; its scores are not reported (rest period).
        replay.forEach((v) => this.consume(v));
      }
      return 0;
    }
    this.lastScore = this.consume(value);
    return this.lastScore;
  }

  /** Learns one value on the current scale and returns its score (0 while resting). */
  private consume(value: number): number {
    const span = this.range.max - this.range.min;
    const step = (span === 0 ? MAX_BIN : span) / MAX_BIN;
    const level = Math.min(MAX_BIN, Math.max(0, Math.trunc((value - this.range.min) / step)));
    const facts: number[] = [];
    for (let bit = 0; bit < VALUE_BITS; bit++) {
      facts.push(SENSOR_FACT + 2 * bit + ((level >> bit) & 1));
    }
    const surprised = facts.some((f) => !this.predicted.has(f));
    const { predictions, failedShare, newShare } = this.step(facts.sort((a, b) => a - b));
    this.predicted = predictions;
    const raw = surprised ? (1 - failedShare + newShare) / 2 : 0;
    const score = this.sinceHigh >= this.restPeriod ? raw : 0;
    this.sinceHigh = raw >= BASE_THRESHOLD ? 0 : this.sinceHigh + 1;
    return score;
  }

  private step(sensed: number[]): { predictions: Set<number>; failedShare: number; newShare: number } {
    const uniquePotential = new Set<string>();
    let newZeroLevel = false;
    if (this.leftFacts.length > 0) {
      uniquePotential.add(pairKey(this.leftFacts, sensed));
      newZeroLevel = this.learn([[this.leftFacts, sensed]], true) > 0;
    }
    const { active, selected, potential } = this.crossRight(sensed, newZeroLevel);
    for (const [l, r] of potential) {
      uniquePotential.add(pairKey(l, r));
    }
    const activeShare = selected > 0 ? active.length / selected : 0;
    active.sort((x, y) => x.activations - y.activations || x.left.hash - y.left.hash || x.right.hash - y.right.hash);
    const neurons = active.slice(-MAX_ACTIVE_NEURONS).map((ctx) => NEURON_FACT + ctx.id);
    this.leftFacts = [...new Set([...sensed, ...neurons])].sort((a, b) => a - b);
    const added = (potential.length > 0 ? this.learn(potential, false) : 0) + (newZeroLevel ? 1 : 0);
    const predictions = this.predict(this.leftFacts);
    const newShare = newZeroLevel && uniquePotential.size > 0 ? added / uniquePotential.size : 0;
    return { predictions, failedShare: activeShare, newShare };
  }

  /** Stores the contexts not yet known; returns how many were new. A zero-level one is marked as such and remembered as this step's. */
  private learn(pairs: Array<[number[], number[]]>, zeroLevel: boolean): number {
    const [lefts, rights] = this.halves;
    let added = 0;
    for (const [l, r] of pairs) {
      const left = lefts.semiOf(l);
      const right = rights.semiOf(r);
      const known = left.contexts.get(right.id);
      if (known === undefined) {
        const ctx: Context = {
          id: this.nextContextId++,
          left,
          right,
          zeroLevel,
          total: 0,
          hits: 0,
          activations: 0,
          lastUsed: ++this.useClock,
        };
        left.contexts.set(right.id, ctx);
        right.uses++;
        this.contexts.set(ctx.id, ctx);
        added++;
        if (zeroLevel) {
          this.newContext = ctx;
        }
        if (this.contexts.size > this.maxContexts) {
          this.forgetLeastRecentlyUsed();
        }
      } else if (zeroLevel) {
        known.zeroLevel = true;
      }
    }
    return added;
  }

  /** Forgets the least recently used context, and its semi-contexts if no other context uses them. */
  private forgetLeastRecentlyUsed(): void {
    // A scan: about one eviction per step once full, cheap beside the step itself.
    let oldest: Context | undefined;
    for (const ctx of this.contexts.values()) {
      if (oldest === undefined || ctx.lastUsed < oldest.lastUsed) {
        oldest = ctx;
      }
    }
    if (oldest === undefined) {
      return;
    }
    const { left, right } = oldest;
    this.contexts.delete(oldest.id);
    left.contexts.delete(right.id);
    if (left.contexts.size === 0) {
      this.halves[0].drop(left);
    }
    right.uses--;
    if (right.uses === 0) {
      this.halves[1].drop(right);
    }
    if (oldest === this.newContext) {
      this.newContext = undefined;
    }
  }

  /**
   * Crosses the sensed facts with the right halves and scores the contexts whose left half fully
   * matched the previous step: counts, activations, and new contexts to cross from partial matches.
   */
  private crossRight(
    sensed: number[],
    newZeroLevel: boolean
  ): { active: Context[]; selected: number; potential: Array<[number[], number[]]> } {
    this.halves[1].cross(sensed);
    const active: Context[] = [];
    const potential: Array<[number[], number[]]> = [];
    let selected = 0;
    for (const l of this.halves[0].crossedSemis) {
      const full = l.crossed.length === l.facts.length;
      for (const ctx of l.contexts.values()) {
        if (ctx === this.newContext) {
          continue;
        }
        const r = ctx.right;
        const matched = r.crossed.length;
        const crossable = ctx.zeroLevel && newZeroLevel && l.crossed.length <= MAX_LEFT_CROSSING;
        if (full) {
          selected++;
          ctx.total += r.facts.length;
          if (matched > 0) {
            ctx.hits += matched;
            if (matched === r.facts.length) {
              ctx.activations++;
              ctx.lastUsed = ++this.useClock;
              active.push(ctx);
            } else if (crossable) {
              potential.push([l.crossed.slice(), r.crossed.slice()]);
            }
          }
        } else if (crossable && matched > 0) {
          potential.push([l.crossed.slice(), r.crossed.slice()]);
        }
      }
    }
    this.newContext = undefined;
    return { active, selected, potential };
  }

  /** Crosses the new left facts; the right facts of the fully matched contexts with the best hit rate are the prediction. */
  private predict(leftFacts: number[]): Set<number> {
    let best = 0;
    let chosen: Context[] = [];
    for (const l of this.halves[0].cross(leftFacts)) {
      if (l.crossed.length !== l.facts.length) {
        continue;
      }
      for (const ctx of l.contexts.values()) {
        const weight = ctx.total > 0 ? ctx.hits / ctx.total : 0;
        if (weight > best) {
          best = weight;
          chosen = [ctx];
        } else if (weight === best) {
          chosen.push(ctx);
        }
      }
    }
    const predictions = new Set<number>();
    for (const ctx of chosen) {
      for (const f of ctx.right.facts) {
        predictions.add(f);
      }
    }
    return predictions;
  }

  toState(): DetectorState {
    const [lefts, rights] = this.halves;
    return {
      ...stateEnvelope(this.name, VERSION),
      probation: this.probation,
      maxContexts: Number.isFinite(this.maxContexts) ? this.maxContexts : null,
      range: this.range.toState(),
      buffering: this.buffering,
      pending: this.pending,
      nextIds: [lefts.nextId, rights.nextId, this.nextContextId],
      leftSemis: lefts.toState(),
      rightSemis: rights.toState(),
      contexts: [...this.contexts.values()].map(contextRow),
      useClock: this.useClock,
      leftCrossing: lefts.crossedSemis.map((semi) => [semi.id, semi.crossed]),
      leftFacts: this.leftFacts,
      predicted: [...this.predicted],
      sinceHigh: this.sinceHigh,
      lastT: Number.isFinite(this.lastT) ? this.lastT : null,
      lastScore: this.lastScore,
    };
  }

  static fromState(state: unknown): CadOseDetector {
    const name = isRecord(state) && state.name === 'cadose-bounded' ? 'cadose-bounded' : 'cadose';
    const s = checkState(state, name, VERSION);
    const probation = num(s, 'probation');
    const bound = num(s, 'maxContexts');
    if ((name === 'cadose') !== Number.isNaN(bound)) {
      throw new Error(`Corrupt detector state: ${name} with maxContexts ${String(s.maxContexts)}`);
    }
    const d = new CadOseDetector({ trainingPoints: probation }, undefined, Number.isNaN(bound) ? Infinity : bound);
    d.range = ValueRange.fromState(s.range);
    if (d.probation !== probation) {
      throw new Error('Corrupt detector state: cadose probation out of range');
    }
    const pending = s.pending;
    if (
      typeof s.buffering !== 'boolean' ||
      !isFiniteList(pending) ||
      pending.length >= probation ||
      (pending.length > 0 && !s.buffering) ||
      (s.buffering && d.range.fixed)
    ) {
      throw new Error('Corrupt detector state: cadose probation buffer');
    }
    d.buffering = s.buffering;
    d.pending = pending;
    const next = s.nextIds;
    if (!(Array.isArray(next) && next.length === 3 && next.every((x) => Number.isInteger(x) && x >= 0))) {
      throw new Error('Corrupt detector state: field "nextIds" is not [left, right, context]');
    }
    const [lefts, rights] = d.halves;
    lefts.restore(s.leftSemis, 'leftSemis', next[0]);
    rights.restore(s.rightSemis, 'rightSemis', next[1]);
    d.nextContextId = next[2];
    d.useClock = num(s, 'useClock');
    d.contexts = restoreContexts(lefts, rights, s.contexts, {
      bound: d.maxContexts,
      nextId: d.nextContextId,
      useClock: d.useClock,
    });
    lefts.restoreCrossing(s.leftCrossing);
    d.leftFacts = factLists([s.leftFacts], 'leftFacts')[0];
    d.predicted = new Set(factLists([s.predicted], 'predicted')[0]);
    d.sinceHigh = num(s, 'sinceHigh');
    d.lastT = s.lastT === null ? -Infinity : num(s, 'lastT');
    d.lastScore = num(s, 'lastScore');
    return d;
  }
}
