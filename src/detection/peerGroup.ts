import { z } from 'zod';
import { log10NormalTwoSided, scoreOfLog10 } from './calibration';
import { Ring } from './ring';
import { RECOMMENDED_THRESHOLD } from './threshold';

/**
 * The longest excursion one spike of a replica is taken to make, in steps: the CPU spikes of NAB's
 * realKnownCause/cpu_utilization_asg_misconfiguration last 2-3 five-minute steps.
 */
const SPIKE_STEPS = 3;
/** Steps a departure must hold (of the window): one more than two back-to-back spikes cover, so noise needs three in a row. */
const PERSISTENCE = 2 * SPIKE_STEPS + 1;
/**
 * The steps looked back over: one more than PERSISTENCE, so the step at which a peer's own spike
 * passes the departed replica (among 3 it is then the median, 0 from it) does not restart the count.
 */
const WINDOW = PERSISTENCE + 1;

const count = z.number().int().nonnegative();
const smoothing = z.number().gt(0).max(1);
const PEER_GROUP_STATE = z.discriminatedUnion('version', [
  z
    .object({
      format: z.literal('failureprophet.peers'),
      version: z.literal(3),
      scaleSmoothing: smoothing,
      /** The spread now, for whoever reads the store: recomputed from `scales` on load. */
      scale: z.number().nullable(),
      /** The last steps' spreads, oldest first. */
      scales: z.array(z.number().nonnegative()),
      resolution: z.number().positive().nullable(),
      recent: z.array(z.array(z.number()).max(WINDOW)),
    })
    .refine((s) => s.scales.length <= spreadSteps(s.scaleSmoothing)),
  // Earlier builds' snapshots: a smoothed mean of the steps' spreads, which resumes as that many
  // steps of it. Version 1 also had a smoothed mean of each member's departures: relearned.
  z.object({
    format: z.literal('failureprophet.peers'),
    version: z.literal(2),
    scaleSmoothing: smoothing,
    steps: count,
    scale: z.number().nullable(),
    recent: z.array(z.array(z.number()).max(WINDOW)),
  }),
  z.object({
    format: z.literal('failureprophet.peers'),
    version: z.literal(1),
    scaleSmoothing: smoothing.optional(),
    steps: count.optional(),
    scale: z.number().nullable(),
    smoothed: z.array(z.number()),
    smoothing: z.number().optional(),
  }),
]);

export type PeerGroupState = Extract<z.infer<typeof PEER_GROUP_STATE>, { version: 3 }>;

const MAX_SPREAD_STEPS = 1000;

/**
 * The steps whose spreads the group's spread is taken from: (2 - a) / a for a `scaleSmoothing`
 * of a, the steps whose plain mean is as steady as the exponential average that earlier builds
 * took with that smoothing (99 for 0.02); at most 1000, as a stored smoothing sizes an array.
 */
function spreadSteps(scaleSmoothing: number): number {
  return Math.min(Math.round((2 - scaleSmoothing) / scaleSmoothing), MAX_SPREAD_STEPS);
}

/** Where a group's spreads are sorted at each step: one for all groups (a step is scored whole, synchronously). */
const SPREAD_SCRATCH = new Float64Array(MAX_SPREAD_STEPS);

/**
 * Peer-group detector: among series that should behave alike (replicas of one deployment), the
 * one departing from its siblings. At each step every member's value is compared with the median
 * of the group in units of the group's spread (Iglewicz & Hoaglin's modified z-score, robust to
 * the outlier itself). Assumes members are exchangeable.
 *
 * A member departs when it stays out: its score is that of the PERSISTENCE-th largest (or, below
 * the group, smallest) of its departures over the last WINDOW steps, so the score reaches the
 * threshold exactly when at least 7 of the last 8 steps were that far out: the k-of-n runs rules
 * of Shewhart charts (Western Electric's Statistical Quality Control Handbook, 1956; their false
 * alarm rates in Champ & Woodall, Technometrics 1987), as an order statistic so the score stays
 * graded. A mean of the departures let one step through: replicas with their own short,
 * heavy-tailed bursts (as NAB's asg_misconfiguration CPU) put one member 10-70 spreads out for a
 * step or two, and weighted 0.3 one such step passed for a departure (nearly every spike did). The
 * order statistic does not see up to PERSISTENCE - 1 steps of excursions on one side, however far
 * out, so it holds for heavy-tailed noise without knowing its tail; a replica stuck, shifted or
 * leaking is out at every step and is flagged once it has been for PERSISTENCE steps.
 *
 * The group's spread is the mean of the lower three quarters of its last steps' spreads (each
 * step's MAD): a trimmed mean of subgroups' spreads, as control charts estimate a process's standard
 * deviation from subgroups some of which are disturbed (Rocke, Technometrics 1989; compared with
 * others by Tatum, Technometrics 1997). A step at which two replicas spike together has a MAD of the
 * spikes' height, and an average of all the steps' MADs took those in (2.4-2.9 times the noise's
 * spread with spikes starting on 8% of steps), so a real departure had to be that much larger to be
 * seen; trimmed, the spread holds until a quarter of the steps are so hit. Trimmed only above, as
 * spikes only widen a step. A median would hold longer but is coarse on quantised values (the MAD of
 * 3 counts is mostly 0 or 1 count, so the median was 0 or near 3 times their standard deviation),
 * where this mean stays near it. A MAD of 3 or 4 values is far from its large-sample law (among 3
 * it is the smaller of the two gaps to the median), so each step's is scaled by its group size's
 * factor that makes the estimate the standard deviation at the normal (1.4826 times the MAD of 3
 * averages 2/3 of it, and noise among near-identical replicas passed for a departure).
 */
export class PeerGroupDetector {
  readonly size: number;
  /** Each member's departures at its last WINDOW scored steps. */
  private readonly recent: Ring[];
  private readonly sorted: Float64Array;
  private readonly scratch = new Float64Array(WINDOW);
  private readonly scores: Float64Array;
  private readonly scaleSmoothing: number;
  /** The last steps' spreads. */
  private readonly scales: Ring;
  /**
   * The smallest distance from a step's median seen, 0 excluded: the values' resolution, half of
   * which is the least spread. Among 3-4 replicas of a quantised metric (a count, a rounded
   * percentage) two are often equal, so most steps' MAD is 0 and so may be the spread, and a replica
   * a count from its siblings was out by many spreads (flagged with noise of 0.5-0.8 counts); at
   * half the resolution it is 2 spreads out, or 4 when the median falls between counts.
   */
  private resolution = Infinity;
  private scale = NaN;

  /**
   * `scaleSmoothing` (0-1, default 1: each step's spread alone): the group's spread is taken from
   * the last spreadSteps(scaleSmoothing) steps' spreads; with 3-4 members one step's MAD is
   * often tiny and flags pure noise.
   */
  constructor(size: number, options: { scaleSmoothing?: number } = {}) {
    if (!(size >= 3)) {
      throw new Error('a peer group needs at least 3 members to tell which one departs');
    }
    this.size = size;
    this.scaleSmoothing = options.scaleSmoothing ?? 1;
    this.scales = new Ring(spreadSteps(this.scaleSmoothing));
    this.recent = Array.from({ length: size }, () => new Ring(WINDOW));
    this.sorted = new Float64Array(size);
    this.scores = new Float64Array(size);
  }

  /** Scores each member at one step (NaN members are skipped and score 0). Returns a reused array. */
  update(values: ArrayLike<number>): Float64Array {
    let n = 0;
    for (let i = 0; i < this.size; i++) {
      if (Number.isFinite(values[i])) {
        this.sorted[n++] = values[i];
      }
    }
    this.scores.fill(0);
    if (n < 3) {
      return this.scores;
    }
    const view = this.sorted.subarray(0, n).sort();
    const median = middle(view);
    for (let i = 0; i < n; i++) {
      view[i] = Math.abs(view[i] - median);
    }
    view.sort();
    const nearest = view.find((d) => d > 0);
    if (nearest !== undefined && nearest < this.resolution) {
      this.resolution = nearest;
    }
    // A floor keeps identical peers from dividing by 0.
    const stepScale = 1.4826 * spreadFactor(n) * middle(view) + 1e-9 + 1e-6 * Math.abs(median);
    this.rememberScale(stepScale);
    for (let i = 0; i < this.size; i++) {
      if (Number.isFinite(values[i])) {
        this.recent[i].push((values[i] - median) / this.scale);
        this.scores[i] = scoreOfLog10(log10NormalTwoSided(this.held(i)) + Math.log10(this.size));
      }
    }
    return this.scores;
  }

  /** Four significant digits: the snapshot stays ~8 bytes a step, and the spread moves by under 0.05%. */
  private rememberScale(stepScale: number): void {
    this.scales.push(Number(stepScale.toPrecision(4)));
    this.spreadFromScales();
  }

  /** The group's spread from the steps' spreads held, and never under half the values' resolution. */
  private spreadFromScales(): void {
    this.scale = Math.max(
      lowerMean(this.scales.sortedInto(SPREAD_SCRATCH)),
      Number.isFinite(this.resolution) ? this.resolution / 2 : 0
    );
  }

  /** The departure a member held at PERSISTENCE of its last WINDOW steps, on the side it held it (0: on neither). */
  private held(member: number): number {
    const w = this.recent[member].sortedInto(this.scratch);
    const k = w.length;
    if (k < PERSISTENCE) {
      return 0;
    }
    // PERSISTENCE is over half the window: a member cannot hold both sides.
    const above = w[k - PERSISTENCE];
    const below = w[PERSISTENCE - 1];
    return above > 0 ? above : below < 0 ? below : 0;
  }

  /** Plain JSON snapshot; `fromState` resumes from it, so a restart does not re-learn the group's spread. */
  toState(): PeerGroupState {
    return {
      format: 'failureprophet.peers',
      version: 3,
      scaleSmoothing: this.scaleSmoothing,
      scale: Number.isNaN(this.scale) ? null : this.scale,
      scales: this.scales.toArray(),
      resolution: Number.isFinite(this.resolution) ? this.resolution : null,
      recent: this.recent.map((departures) => departures.toArray()),
    };
  }

  /** Resumes from `toState()` output (or an earlier build's version 1 or 2); throws a clear Error on anything else. */
  static fromState(state: unknown): PeerGroupDetector {
    const parsed = PEER_GROUP_STATE.safeParse(state);
    if (!parsed.success) {
      throw new Error(
        'Cannot restore a peer group from this state: not a failureprophet.peers version 1, 2 or 3 snapshot'
      );
    }
    const s = parsed.data;
    const recent = s.version === 1 ? s.smoothed.map(() => []) : s.recent;
    const d = new PeerGroupDetector(recent.length, { scaleSmoothing: s.scaleSmoothing });
    recent.forEach((departures, i) => departures.forEach((x) => d.recent[i].push(x)));
    let restored: readonly number[] = [];
    if (s.version === 3) {
      d.resolution = s.resolution ?? Infinity;
      restored = s.scales;
    } else if (s.scale !== null) {
      // An earlier build's average of its last steps' spreads stands for as many of them.
      restored = new Array<number>(Math.min(s.steps ?? d.scales.capacity, d.scales.capacity)).fill(s.scale);
    }
    restored.forEach((x) => d.scales.push(Number(x.toPrecision(4))));
    // The spread taken once from them all (a restart restores every group), not again at each one.
    if (restored.length > 0) {
      d.spreadFromScales();
    }
    return d;
  }

  /** Index of the member most departed from its peers if its score reaches `threshold`, else -1. */
  outlier(threshold = RECOMMENDED_THRESHOLD): number {
    let best = -1;
    for (let i = 0; i < this.size; i++) {
      if (this.scores[i] >= threshold && (best < 0 || this.scores[i] > this.scores[best])) {
        best = i;
      }
    }
    return best;
  }
}

/** The mean of the lower three quarters of sorted values (at least one). */
function lowerMean(sorted: Float64Array): number {
  const k = Math.ceil((3 * sorted.length) / 4);
  let sum = 0;
  for (let i = 0; i < k; i++) {
    sum += sorted[i];
  }
  return sum / k;
}

/**
 * The factor that makes the mean of the lower three quarters of 1.4826 times the MAD of `n`
 * standard normal values 1, so lowerMean of the steps' spreads is the standard deviation: from 2
 * million simulated groups per size up to 10 (peerGroup.test.ts simulates them again), beyond
 * which 1 / (1 - 0.496 / sqrt(n) - 0.807 / n), fitted to half a million groups of 10-100, is within
 * 0.5% of the simulated. Croux & Rousseeuw's (1992) factors make the MAD's plain mean unbiased
 * instead (1.495 for 3 values).
 */
const SPREAD_FACTORS = [NaN, NaN, NaN, 2.439, 1.844, 1.665, 1.517, 1.454, 1.385, 1.352, 1.312];
export function spreadFactor(n: number): number {
  return n < SPREAD_FACTORS.length ? SPREAD_FACTORS[n] : 1 / (1 - 0.496 / Math.sqrt(n) - 0.807 / n);
}

function middle(sorted: Float64Array): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}
