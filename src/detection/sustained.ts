import { ByteReader, ByteWriter } from './shared/bytes';

export interface SustainedOptions {
  /** How long the smoothed level must stay beyond the past week's range before it alarms (a `for:`); default 3 h. */
  sustainedForMs?: number;
  /** Time constant of the smoothed level (an EWMA in time, not in samples): long enough that an hour's dip barely moves it; default 6 h. */
  sustainedTauMs?: number;
  /** Beyond the range by this share of its width (a level grazing an edge, a slow seasonal drift, is no departure); default 0.2. */
  sustainedMargin?: number;
}

const DAY_MS = 86_400_000;
/** Days of reference: the past week, completed days only (today's still includes the departure itself). */
const REF_DAYS = 7;
/** A range from fewer completed days is too narrow to call anything sustained beyond it. */
const MIN_REF_DAYS = 2;
/** Score of a departure that has lasted sustainedForMs; it grows with the duration after that. */
const DEPARTURE_SCORE = 0.5;

/** Per day: its index (floor(t / day)), the smoothed level's min, max, sum and count, the raw values' min and max. */
const D_INDEX = 0;
const D_M_MIN = 1;
const D_M_MAX = 2;
const D_M_SUM = 3;
const D_COUNT = 4;
const D_V_MIN = 5;
const D_V_MAX = 6;
const DAY_FIELDS = 7;
/** Day 0 is today (in progress), 1..REF_DAYS the days before it that had samples, newest first. */
const RING = (REF_DAYS + 1) * DAY_FIELDS;

/** Scalars: last time, smoothed level, previous value, the run beyond the range (start, side, reported), last level. */
const S_LAST_T = 0;
const S_M = 1;
const S_PREV = 2;
const S_RUN_START = 3;
const S_RUN_SIDE = 4;
const S_REPORTED = 5;
const S_LEVEL = 6;
const SCALARS = 7;

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
 * its smoothed values covered in the past week (the completed days, from per-day extremes) for
 * sustainedForMs or longer. This is a one-sided CUSUM / Page test reduced to its decision rule with
 * the past week as the in-control reference (a run beyond the limits rather than a sum of small
 * excesses, so a level grazing an edge accrues nothing), and the `for:` clause of a Prometheus
 * alerting rule: only a condition held for the whole duration fires. A short dip, however deep,
 * barely moves the smoothed level; a machine that stays cold for hours moves it out and keeps it
 * out. Reported once per run (its score when it reaches sustainedForMs); `level` stays up, growing
 * with the run's duration, while it lasts. Fixed-size state: a few numbers per day of the week.
 */
export class SustainedView {
  private readonly s = new Float64Array(SCALARS).fill(NaN);
  /** Single precision: a day's extremes and sum need no more, and the state must fit 4 KiB beside v6's. */
  private readonly days = new Float32Array(RING).fill(NaN);
  private readonly forMs: number;
  private readonly tauMs: number;
  private readonly margin: number;
  private ref: WeekReference = unready();

  constructor(options: SustainedOptions = {}) {
    this.forMs = options.sustainedForMs ?? 3 * 3_600_000;
    this.tauMs = options.sustainedTauMs ?? 6 * 3_600_000;
    this.margin = options.sustainedMargin ?? 0.2;
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

  /** The past week before the last sample's day. */
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
    this.enterDay(Math.floor(timestampMs / DAY_MS));
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

  /** Starts a new day when the sample's day is not today's: today joins the reference. */
  private enterDay(day: number): void {
    const d = this.days;
    if (d[D_INDEX] === day) {
      return;
    }
    if (!Number.isNaN(d[D_INDEX])) {
      d.copyWithin(DAY_FIELDS, 0, RING - DAY_FIELDS);
    }
    d.fill(NaN, 0, DAY_FIELDS);
    d[D_INDEX] = day;
    d[D_M_SUM] = 0;
    d[D_COUNT] = 0;
    this.ref = this.weekBefore(day);
  }

  /** The reference from the completed days of the REF_DAYS before `day`. */
  private weekBefore(day: number): WeekReference {
    const d = this.days;
    let n = 0;
    const r = { ready: false, lower: Infinity, upper: -Infinity, mean: 0, valueMin: Infinity, valueMax: -Infinity };
    let sum = 0;
    let count = 0;
    for (let k = 1; k <= REF_DAYS; k++) {
      const o = k * DAY_FIELDS;
      if (!(d[o + D_INDEX] >= day - REF_DAYS)) {
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
    return n >= MIN_REF_DAYS ? { ...r, ready: true, mean: sum / count } : unready();
  }

  /** Adds a sample to today's extremes. */
  private record(m: number, value: number): void {
    const d = this.days;
    d[D_M_MIN] = Number.isNaN(d[D_M_MIN]) ? m : Math.min(d[D_M_MIN], m);
    d[D_M_MAX] = Number.isNaN(d[D_M_MAX]) ? m : Math.max(d[D_M_MAX], m);
    d[D_V_MIN] = Number.isNaN(d[D_V_MIN]) ? value : Math.min(d[D_V_MIN], value);
    d[D_V_MAX] = Number.isNaN(d[D_V_MAX]) ? value : Math.max(d[D_V_MAX], value);
    d[D_M_SUM] += m;
    d[D_COUNT]++;
  }

  /** Options, scalars and days packed (ByteWriter.nums: each number exact in as few bytes as it takes). */
  toPacked(): string {
    const o = this.settings();
    return new ByteWriter()
      .nums([o.sustainedForMs, o.sustainedTauMs, o.sustainedMargin])
      .nums(this.s)
      .nums(this.days)
      .toBase64();
  }

  /** The view `toPacked` saved; throws naming `field` when it is corrupt. */
  static fromPacked(text: unknown, field: string): SustainedView {
    const r = new ByteReader(text, field);
    const [sustainedForMs, sustainedTauMs, sustainedMargin] = r.nums(3);
    const view = new SustainedView({ sustainedForMs, sustainedTauMs, sustainedMargin });
    view.s.set(r.nums(SCALARS));
    view.days.set(r.nums(RING));
    r.end();
    for (const k of [S_RUN_SIDE, S_REPORTED, S_LEVEL]) {
      if (!Number.isFinite(view.s[k])) {
        throw new Error(`Corrupt detector state: field "${field}" has no run`);
      }
    }
    if (!Number.isNaN(view.days[D_INDEX])) {
      view.ref = view.weekBefore(view.days[D_INDEX]);
    }
    return view;
  }
}

function unready(): WeekReference {
  return { ready: false, lower: NaN, upper: NaN, mean: NaN, valueMin: NaN, valueMax: NaN };
}
