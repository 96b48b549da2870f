import { ByteReader, ByteWriter } from './shared/bytes';

export interface SustainedOptions {
  /** How long the smoothed level must stay beyond the past week's range before it alarms (a `for:`); default 3 h. */
  sustainedForMs?: number;
  /** Time constant of the smoothed level (an EWMA in time, not in samples): long enough that an hour's dip barely moves it; default 6 h. */
  sustainedTauMs?: number;
  /** Beyond the range by this share of its width (a level grazing an edge, a slow seasonal drift, is no departure); default 0.3. */
  sustainedMargin?: number;
}

const DAY_MS = 86_400_000;
/**
 * A block of the reference closes once it spans a day and holds BLOCK_SAMPLES samples (a day at a
 * 5-minute step): at 1 min or 5 min a block is a day, at an hour 12 days, so an hourly series is
 * judged against 12 weeks, its weather included (with days by the clock, NAB's hourly
 * ambient_temperature raised 25 false alarms instead of 2: every cold or warm spell left its week).
 */
const BLOCK_SAMPLES = 288;
/** Blocks of reference: the past week, completed blocks only (the current one still includes the departure itself). */
const REF_BLOCKS = 7;
/** A range from fewer completed blocks is too narrow to call anything sustained beyond it. */
const MIN_REF_BLOCKS = 3;
/** Score of a departure that has lasted sustainedForMs; it grows with the duration after that. */
const DEPARTURE_SCORE = 0.5;

/** Per block: its number, the smoothed level's min, max, sum and count, the raw values' min and max. */
const D_INDEX = 0;
const D_M_MIN = 1;
const D_M_MAX = 2;
const D_M_SUM = 3;
const D_COUNT = 4;
const D_V_MIN = 5;
const D_V_MAX = 6;
const BLOCK_FIELDS = 7;
/** Block 0 is the current one (in progress), 1..REF_BLOCKS the blocks before it, newest first. */
const RING = (REF_BLOCKS + 1) * BLOCK_FIELDS;

/** Scalars: last time, smoothed level, previous value, the run beyond the range (start, side, reported), last level, current block's start. */
const S_LAST_T = 0;
const S_M = 1;
const S_PREV = 2;
const S_RUN_START = 3;
const S_RUN_SIDE = 4;
const S_REPORTED = 5;
const S_LEVEL = 6;
const S_BLOCK_START = 7;
const SCALARS = 8;

/** The past week as the view last saw it: the smoothed level's range and mean, the raw values' range. */
export interface WeekReference {
  ready: boolean;
  lower: number;
  upper: number;
  mean: number;
  valueMin: number;
  valueMax: number;
}

/**
 * A sustained departure: the level, smoothed over about sustainedTauMs, has stayed beyond the range
 * its smoothed values covered in the past week (the 7 completed blocks before, from per-block extremes) for
 * sustainedForMs or longer. This is a one-sided CUSUM / Page test reduced to its decision rule with
 * the past week as the in-control reference (a run beyond the limits rather than a sum of small
 * excesses, so a level grazing an edge accrues nothing), and the `for:` clause of a Prometheus
 * alerting rule: only a condition held for the whole duration fires. A short dip, however deep,
 * barely moves the smoothed level; a machine that stays cold for hours moves it out and keeps it
 * out. Reported once per run (its score when it reaches sustainedForMs); `level` stays up, growing
 * with the run's duration, while it lasts. Fixed-size state: a few numbers per block of the week.
 */
export class SustainedView {
  private readonly s = new Float64Array(SCALARS).fill(NaN);
  /** Single precision: a block's extremes and sum need no more, and the state must fit 4 KiB beside v6's. */
  private readonly blocks = new Float32Array(RING).fill(NaN);
  private readonly forMs: number;
  private readonly tauMs: number;
  private readonly margin: number;
  private ref: WeekReference = unready();

  constructor(options: SustainedOptions = {}) {
    this.forMs = options.sustainedForMs ?? 3 * 3_600_000;
    this.tauMs = options.sustainedTauMs ?? 6 * 3_600_000;
    this.margin = options.sustainedMargin ?? 0.3;
    for (const [k, v] of Object.entries({ sustainedForMs: this.forMs, sustainedTauMs: this.tauMs })) {
      if (!(Number.isFinite(v) && v > 0)) {
        throw new Error(`${k} must be a finite number > 0, got ${String(v)}`);
      }
    }
    if (!(Number.isFinite(this.margin) && this.margin >= 0)) {
      throw new Error(`sustainedMargin must be a finite number >= 0, got ${String(this.margin)}`);
    }
    this.s[S_LAST_T] = -Infinity;
    this.s[S_RUN_SIDE] = 0;
    this.s[S_REPORTED] = 0;
    this.s[S_LEVEL] = 0;
  }

  settings(): Required<SustainedOptions> {
    return { sustainedForMs: this.forMs, sustainedTauMs: this.tauMs, sustainedMargin: this.margin };
  }

  /** The last sample's score without the once-per-run suppression (0 outside a sustained departure). */
  get level(): number {
    return this.s[S_LEVEL];
  }

  /** The past week before the last sample's block. */
  get reference(): WeekReference {
    return this.ref;
  }

  /** Whether the last value repeated the one before it (a flat run is no excursion). */
  repeated(value: number): boolean {
    return value === this.s[S_PREV];
  }

  /**
   * Learns one sample and returns its reported score (the run's score once, when it has lasted
   * sustainedForMs; 0 otherwise). A time not after the last, or a missing value, changes nothing.
   */
  update(timestampMs: number, value: number): number {
    const s = this.s;
    if (!(timestampMs > s[S_LAST_T]) || !Number.isFinite(value)) {
      return 0;
    }
    const dt = Number.isFinite(s[S_LAST_T]) ? timestampMs - s[S_LAST_T] : 0;
    s[S_LAST_T] = timestampMs;
    s[S_M] = Number.isNaN(s[S_M]) ? value : s[S_M] + (1 - Math.exp(-dt / this.tauMs)) * (value - s[S_M]);
    const m = s[S_M];
    this.nextBlockIfDue(timestampMs);
    const ref = this.ref;
    const slack = this.margin * (ref.upper - ref.lower);
    const side = !ref.ready ? 0 : m < ref.lower - slack ? -1 : m > ref.upper + slack ? 1 : 0;
    if (side === 0) {
      s[S_RUN_SIDE] = 0;
      s[S_REPORTED] = 0;
    } else if (s[S_RUN_SIDE] !== side) {
      s[S_RUN_SIDE] = side;
      s[S_RUN_START] = timestampMs;
      s[S_REPORTED] = 0;
    }
    const run = side === 0 ? 0 : timestampMs - s[S_RUN_START];
    s[S_LEVEL] = run >= this.forMs ? Math.min(1, (DEPARTURE_SCORE * run) / this.forMs) : 0;
    let reported = 0;
    if (s[S_LEVEL] > 0 && s[S_REPORTED] === 0) {
      s[S_REPORTED] = 1;
      reported = s[S_LEVEL];
    }
    this.record(m, value);
    s[S_PREV] = value;
    return reported;
  }

  /** Closes the current block once it spans a day and holds BLOCK_SAMPLES samples: it joins the reference. */
  private nextBlockIfDue(timestampMs: number): void {
    const d = this.blocks;
    const first = Number.isNaN(d[D_INDEX]);
    if (!first && !(d[D_COUNT] >= BLOCK_SAMPLES && timestampMs - this.s[S_BLOCK_START] >= DAY_MS)) {
      return;
    }
    if (!first) {
      d.copyWithin(BLOCK_FIELDS, 0, RING - BLOCK_FIELDS);
    }
    const block = first ? 0 : d[D_INDEX] + 1;
    d.fill(NaN, 0, BLOCK_FIELDS);
    d[D_INDEX] = block;
    d[D_M_SUM] = 0;
    d[D_COUNT] = 0;
    this.s[S_BLOCK_START] = timestampMs;
    this.ref = this.weekBefore();
  }

  /** The reference from the completed blocks before the current one. */
  private weekBefore(): WeekReference {
    const d = this.blocks;
    let n = 0;
    const r = { ready: false, lower: Infinity, upper: -Infinity, mean: 0, valueMin: Infinity, valueMax: -Infinity };
    let sum = 0;
    let count = 0;
    for (let k = 1; k <= REF_BLOCKS; k++) {
      const o = k * BLOCK_FIELDS;
      if (Number.isNaN(d[o + D_INDEX])) {
        continue;
      }
      n++;
      r.lower = Math.min(r.lower, d[o + D_M_MIN]);
      r.upper = Math.max(r.upper, d[o + D_M_MAX]);
      r.valueMin = Math.min(r.valueMin, d[o + D_V_MIN]);
      r.valueMax = Math.max(r.valueMax, d[o + D_V_MAX]);
      sum += d[o + D_M_SUM];
      count += d[o + D_COUNT];
    }
    return n >= MIN_REF_BLOCKS ? { ...r, ready: true, mean: sum / count } : unready();
  }

  /** Adds a sample to the current block's extremes. */
  private record(m: number, value: number): void {
    const d = this.blocks;
    d[D_M_MIN] = Number.isNaN(d[D_M_MIN]) ? m : Math.min(d[D_M_MIN], m);
    d[D_M_MAX] = Number.isNaN(d[D_M_MAX]) ? m : Math.max(d[D_M_MAX], m);
    d[D_V_MIN] = Number.isNaN(d[D_V_MIN]) ? value : Math.min(d[D_V_MIN], value);
    d[D_V_MAX] = Number.isNaN(d[D_V_MAX]) ? value : Math.max(d[D_V_MAX], value);
    d[D_M_SUM] += m;
    d[D_COUNT]++;
  }

  /** Options, scalars and blocks packed (ByteWriter.nums: each number exact in as few bytes as it takes). */
  toPacked(): string {
    const o = this.settings();
    return new ByteWriter()
      .nums([o.sustainedForMs, o.sustainedTauMs, o.sustainedMargin])
      .nums(this.s)
      .nums(this.blocks)
      .toBase64();
  }

  /** The view `toPacked` saved; throws naming `field` when it is corrupt. */
  static fromPacked(text: unknown, field: string): SustainedView {
    const r = new ByteReader(text, field);
    const [sustainedForMs, sustainedTauMs, sustainedMargin] = r.nums(3);
    const view = new SustainedView({ sustainedForMs, sustainedTauMs, sustainedMargin });
    view.s.set(r.nums(SCALARS));
    view.blocks.set(r.nums(RING));
    r.end();
    for (const k of [S_RUN_SIDE, S_REPORTED, S_LEVEL]) {
      if (!Number.isFinite(view.s[k])) {
        throw new Error(`Corrupt detector state: field "${field}" has no run`);
      }
    }
    view.ref = view.weekBefore();
    return view;
  }
}

function unready(): WeekReference {
  return { ready: false, lower: NaN, upper: NaN, mean: NaN, valueMin: NaN, valueMax: NaN };
}
