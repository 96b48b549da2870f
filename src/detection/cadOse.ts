import { checkState, DetectorOptions, DetectorState, num, stateEnvelope, StreamingDetector } from './detector';
import { isFiniteList } from './shared/json';
import { Context, factLists, Half, isFactList, NEURON_FACT, pairKey, SENSOR_FACT } from './cadOseMemory';
import { InputRange, RangeEstimate, rangeEstimateOf, ValueRange } from './inputRange';

const VERSION = 2;
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
}

/** The range estimate without a hint: see RESULTS.md (issue 12) for the cross-validated choice. */
export const CADOSE_RANGE_ESTIMATE: RangeEstimate = { margin: 0.5, renormalise: false };
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
 */
export class CadOseDetector implements StreamingDetector {
  readonly name = 'cadose';
  readonly expected = NaN;
  readonly lower = NaN;
  readonly upper = NaN;
  private readonly restPeriod: number;
  private readonly halves = [new Half(), new Half()];
  private contexts: Context[] = [];
  /** The zero-level context created this step, excluded from its own evaluation. */
  private newContextId = -1;
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

  constructor(options: CadOseOptions = {}, hint?: InputRange) {
    this.range = ValueRange.of(hint, rangeEstimateOf(options, CADOSE_RANGE_ESTIMATE));
    const tp = options.trainingPoints;
    this.probation = typeof tp === 'number' && Number.isFinite(tp) && tp >= 5 ? Math.floor(tp) : DEFAULT_TRAINING;
    this.restPeriod = Math.floor(this.probation / 5);
    this.buffering = hint === undefined;
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
    const left = this.halves[0].semis;
    const right = this.halves[1].semis;
    active.sort((a, b) => {
      const x = this.contexts[a];
      const y = this.contexts[b];
      return (
        x.activations - y.activations ||
        left[x.left].hash - left[y.left].hash ||
        right[x.right].hash - right[y.right].hash
      );
    });
    const neurons = active.slice(-MAX_ACTIVE_NEURONS).map((id) => NEURON_FACT + id);
    this.leftFacts = [...new Set([...sensed, ...neurons])].sort((a, b) => a - b);
    const added = (potential.length > 0 ? this.learn(potential, false) : 0) + (newZeroLevel ? 1 : 0);
    const predictions = this.predict(this.leftFacts);
    const newShare = newZeroLevel && uniquePotential.size > 0 ? added / uniquePotential.size : 0;
    return { predictions, failedShare: activeShare, newShare };
  }

  /** Stores the contexts not yet known; returns how many were new. A zero-level one is marked as such and remembered as this step's. */
  private learn(pairs: Array<[number[], number[]]>, zeroLevel: boolean): number {
    let added = 0;
    for (const [l, r] of pairs) {
      const leftId = this.halves[0].idOf(l);
      const rightId = this.halves[1].idOf(r);
      const semi = this.halves[0].semis[leftId];
      const known = semi.contexts.get(rightId);
      if (known === undefined) {
        const id = this.contexts.length;
        semi.contexts.set(rightId, id);
        this.contexts.push({ left: leftId, right: rightId, zeroLevel, total: 0, hits: 0, activations: 0 });
        added++;
        if (zeroLevel) {
          this.newContextId = id;
        }
      } else if (zeroLevel) {
        this.contexts[known].zeroLevel = true;
      }
    }
    return added;
  }

  /**
   * Crosses the sensed facts with the right halves and scores the contexts whose left half fully
   * matched the previous step: counts, activations, and new contexts to cross from partial matches.
   */
  private crossRight(
    sensed: number[],
    newZeroLevel: boolean
  ): { active: number[]; selected: number; potential: Array<[number[], number[]]> } {
    const rights = this.halves[1];
    rights.cross(sensed);
    const lefts = this.halves[0];
    const active: number[] = [];
    const potential: Array<[number[], number[]]> = [];
    let selected = 0;
    for (const leftId of lefts.crossedIds) {
      const l = lefts.semis[leftId];
      const full = l.crossed.length === l.facts.length;
      for (const [rightId, id] of l.contexts) {
        if (id === this.newContextId) {
          continue;
        }
        const ctx = this.contexts[id];
        const r = rights.semis[rightId];
        const matched = r.crossed.length;
        const crossable = ctx.zeroLevel && newZeroLevel && l.crossed.length <= MAX_LEFT_CROSSING;
        if (full) {
          selected++;
          ctx.total += r.facts.length;
          if (matched > 0) {
            ctx.hits += matched;
            if (matched === r.facts.length) {
              ctx.activations++;
              active.push(id);
            } else if (crossable) {
              potential.push([l.crossed.slice(), r.crossed.slice()]);
            }
          }
        } else if (crossable && matched > 0) {
          potential.push([l.crossed.slice(), r.crossed.slice()]);
        }
      }
    }
    this.newContextId = -1;
    return { active, selected, potential };
  }

  /** Crosses the new left facts; the right facts of the fully matched contexts with the best hit rate are the prediction. */
  private predict(leftFacts: number[]): Set<number> {
    const lefts = this.halves[0];
    let best = 0;
    let chosen: number[] = [];
    for (const leftId of lefts.cross(leftFacts)) {
      const l = lefts.semis[leftId];
      if (l.crossed.length !== l.facts.length) {
        continue;
      }
      for (const id of l.contexts.values()) {
        const ctx = this.contexts[id];
        const weight = ctx.total > 0 ? ctx.hits / ctx.total : 0;
        if (weight > best) {
          best = weight;
          chosen = [id];
        } else if (weight === best) {
          chosen.push(id);
        }
      }
    }
    const predictions = new Set<number>();
    for (const id of chosen) {
      for (const f of this.halves[1].semis[this.contexts[id].right].facts) {
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
      range: this.range.toState(),
      buffering: this.buffering,
      pending: this.pending,
      leftSemis: lefts.semis.map((s) => s.facts),
      rightSemis: rights.semis.map((s) => s.facts),
      contexts: this.contexts.map((c) => [c.left, c.right, c.zeroLevel ? 1 : 0, c.total, c.hits, c.activations]),
      leftCrossing: lefts.crossedIds.map((id) => [id, lefts.semis[id].crossed]),
      leftFacts: this.leftFacts,
      predicted: [...this.predicted],
      sinceHigh: this.sinceHigh,
      lastT: Number.isFinite(this.lastT) ? this.lastT : null,
      lastScore: this.lastScore,
    };
  }

  static fromState(state: unknown): CadOseDetector {
    const s = checkState(state, 'cadose', VERSION);
    const probation = num(s, 'probation');
    const d = new CadOseDetector({ trainingPoints: probation });
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
    const [lefts, rights] = d.halves;
    const leftSemis = factLists(s.leftSemis, 'leftSemis');
    const rightSemis = factLists(s.rightSemis, 'rightSemis');
    for (const facts of leftSemis) {
      lefts.idOf(facts);
    }
    for (const facts of rightSemis) {
      rights.idOf(facts);
    }
    if (lefts.semis.length !== leftSemis.length || rights.semis.length !== rightSemis.length) {
      throw new Error('Corrupt detector state: cadose semi-contexts repeat');
    }
    if (!Array.isArray(s.contexts)) {
      throw new Error('Corrupt detector state: field "contexts" is not an array');
    }
    for (const c of s.contexts) {
      const ok =
        Array.isArray(c) &&
        c.length === 6 &&
        c.every((x) => Number.isInteger(x) && x >= 0) &&
        c[0] < lefts.semis.length &&
        c[1] < rights.semis.length &&
        !lefts.semis[c[0]].contexts.has(c[1]);
      if (!ok) {
        throw new Error(
          'Corrupt detector state: cadose context is not [left, right, zeroLevel, total, hits, activations]'
        );
      }
      lefts.semis[c[0]].contexts.set(c[1], d.contexts.length);
      d.contexts.push({ left: c[0], right: c[1], zeroLevel: c[2] === 1, total: c[3], hits: c[4], activations: c[5] });
    }
    if (!Array.isArray(s.leftCrossing)) {
      throw new Error('Corrupt detector state: field "leftCrossing" is not an array');
    }
    for (const entry of s.leftCrossing) {
      const id = Array.isArray(entry) ? entry[0] : undefined;
      if (!(Number.isInteger(id) && id < lefts.semis.length) || !isFactList(entry[1]) || entry[1].length === 0) {
        throw new Error('Corrupt detector state: cadose left crossing is not [semi-context, facts]');
      }
      lefts.semis[id].crossed = entry[1];
      lefts.crossedIds.push(id);
    }
    d.leftFacts = factLists([s.leftFacts], 'leftFacts')[0];
    d.predicted = new Set(factLists([s.predicted], 'predicted')[0]);
    d.sinceHigh = num(s, 'sinceHigh');
    d.lastT = s.lastT === null ? -Infinity : num(s, 'lastT');
    d.lastScore = num(s, 'lastScore');
    return d;
  }
}
