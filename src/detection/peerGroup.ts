import { z } from 'zod';
import { log10NormalTwoSided, scoreOfLog10 } from './calibration';
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
  z.object({
    format: z.literal('failureprophet.peers'),
    version: z.literal(2),
    scaleSmoothing: smoothing,
    steps: count,
    scale: z.number().nullable(),
    recent: z.array(z.array(z.number()).max(WINDOW)),
  }),
  // An earlier build's snapshot (a smoothed mean of each member's departures): its spread resumes,
  // its members' recent departures are relearned.
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

export type PeerGroupState = Extract<z.infer<typeof PEER_GROUP_STATE>, { version: 2 }>;

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
 * 1.4826 MAD estimates the standard deviation only for large groups: among 3 replicas the MAD is
 * the smaller of the two gaps to the median, and 1.4826 times it averages 1/1.495 of the spread
 * (measured 1/1.48 on the compose demo's replicas), so every member's z was half as large again
 * and noise among near-identical replicas passed for a departure. The finite-sample factors of
 * Croux & Rousseeuw (1992) make it unbiased at the normal for each group size.
 */
export class PeerGroupDetector {
  readonly size: number;
  /** Each member's departures at its last WINDOW scored steps: a ring of WINDOW slots per member. */
  private readonly recent: Float64Array;
  /** Per member: how many of its slots hold a departure, and the slot the next one goes to. */
  private readonly filled: Uint8Array;
  private readonly next: Uint8Array;
  private readonly sorted: Float64Array;
  private readonly scratch = new Float64Array(WINDOW);
  private readonly scores: Float64Array;
  private readonly scaleAlpha: number;
  private scale = NaN;
  private steps = 0;
  /** The steps the scale's smoothing averages over: a plain mean up to there. */
  private readonly scaleWindow: number;

  /**
   * `scaleSmoothing` (0-1, default off): average the group's spread over steps instead of taking
   * each step's MAD alone; with 3-4 members one step's MAD is often tiny and flags pure noise.
   */
  constructor(size: number, options: { scaleSmoothing?: number } = {}) {
    if (!(size >= 3)) {
      throw new Error('a peer group needs at least 3 members to tell which one departs');
    }
    this.size = size;
    this.scaleAlpha = options.scaleSmoothing ?? 1;
    this.scaleWindow = Math.ceil(1 / this.scaleAlpha);
    this.recent = new Float64Array(size * WINDOW);
    this.filled = new Uint8Array(size);
    this.next = new Uint8Array(size);
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
    // A floor keeps identical peers from dividing by 0.
    const stepScale = 1.4826 * madFactor(n) * middle(view) + 1e-9 + 1e-6 * Math.abs(median);
    // A plain mean of the steps seen until the smoothing's window is full: the first step's spread
    // (one MAD of 3 values, often near 0) would otherwise weigh on the next ~1/scaleSmoothing steps.
    this.steps = Math.min(this.steps + 1, this.scaleWindow);
    this.scale = Number.isNaN(this.scale)
      ? stepScale
      : this.scale + Math.max(this.scaleAlpha, 1 / this.steps) * (stepScale - this.scale);
    for (let i = 0; i < this.size; i++) {
      if (Number.isFinite(values[i])) {
        this.remember(i, (values[i] - median) / this.scale);
        this.scores[i] = scoreOfLog10(log10NormalTwoSided(this.held(i)) + Math.log10(this.size));
      }
    }
    return this.scores;
  }

  private remember(member: number, departure: number): void {
    this.recent[member * WINDOW + this.next[member]] = departure;
    this.next[member] = (this.next[member] + 1) % WINDOW;
    this.filled[member] = Math.min(this.filled[member] + 1, WINDOW);
  }

  /** The departure a member held at PERSISTENCE of its last WINDOW steps, on the side it held it (0: on neither). */
  private held(member: number): number {
    const k = this.filled[member];
    if (k < PERSISTENCE) {
      return 0;
    }
    const w = this.scratch.subarray(0, k);
    w.set(this.recent.subarray(member * WINDOW, member * WINDOW + k));
    w.sort();
    // PERSISTENCE is over half the window: a member cannot hold both sides.
    const above = w[k - PERSISTENCE];
    const below = w[PERSISTENCE - 1];
    return above > 0 ? above : below < 0 ? below : 0;
  }

  /** Plain JSON snapshot; `fromState` resumes from it, so a restart does not re-learn the group's spread. */
  toState(): PeerGroupState {
    return {
      format: 'failureprophet.peers',
      version: 2,
      scaleSmoothing: this.scaleAlpha,
      steps: this.steps,
      scale: Number.isNaN(this.scale) ? null : this.scale,
      recent: Array.from({ length: this.size }, (_, i) => this.recentOf(i)),
    };
  }

  /** A member's remembered departures, oldest first. */
  private recentOf(member: number): number[] {
    const k = this.filled[member];
    const start = (this.next[member] - k + WINDOW) % WINDOW;
    return Array.from({ length: k }, (_, j) => this.recent[member * WINDOW + ((start + j) % WINDOW)]);
  }

  /** Resumes from `toState()` output (or an earlier build's version 1); throws a clear Error on anything else. */
  static fromState(state: unknown): PeerGroupDetector {
    const parsed = PEER_GROUP_STATE.safeParse(state);
    if (!parsed.success) {
      throw new Error(
        'Cannot restore a peer group from this state: not a failureprophet.peers version 1 or 2 snapshot'
      );
    }
    const s = parsed.data;
    const recent = s.version === 2 ? s.recent : s.smoothed.map(() => []);
    const d = new PeerGroupDetector(recent.length, { scaleSmoothing: s.scaleSmoothing });
    recent.forEach((departures, i) => departures.forEach((x) => d.remember(i, x)));
    d.scale = s.scale ?? NaN;
    d.steps = Math.min(s.steps ?? (s.scale === null ? 0 : d.scaleWindow), d.scaleWindow);
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

/**
 * Croux & Rousseeuw's (1992) small-sample factor b_n for the MAD (b_n * 1.4826 * MAD is unbiased
 * for the standard deviation at the normal): tabled for n <= 9, n / (n - 0.8) beyond.
 */
const MAD_FACTORS = [NaN, NaN, 1.196, 1.495, 1.363, 1.206, 1.2, 1.14, 1.129, 1.107];
function madFactor(n: number): number {
  return n < MAD_FACTORS.length ? MAD_FACTORS[n] : n / (n - 0.8);
}

function middle(sorted: Float64Array): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}
