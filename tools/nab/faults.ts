/**
 * Fault injection: does a gross fault get flagged whatever alarmed before it? For each series, the
 * detector first runs clean to find its own alarms; then each fault type is injected at several
 * distances after an earlier alarm and at evenly spaced places, and a run counts as flagged when a
 * reported score reaches the threshold within 24 h of the fault (and "fast" within FEW samples).
 *
 * `npm run nab:faults -- [--detector NAME] [--nab DIR] [--repeat]`: dev NAB files and generated series;
 * `--repeat`: the same fault twice, days apart (runRepeats), instead.
 */
import { join } from 'node:path';
import { createDetectorFromConfig, Random, RECOMMENDED_THRESHOLD } from '../../src/detection';
import { DEFAULT_NAB, readCorpus } from './corpus';
import { listDataFiles, parseArgs, readSeries } from './nabFiles';
import { probationLength } from './scorer';

export const FAULTS = ['jump', 'spike', 'zero', 'flat', 'stop'] as const;
export type Fault = (typeof FAULTS)[number];

/** Hours after an earlier alarm at which a fault is injected. */
export const DISTANCES_H = [0.5, 2, 6, 11, 23];
const DAY_MS = 86_400_000;
/** "Within a few samples". */
export const FEW = 5;

export interface Series {
  name: string;
  t: Float64Array;
  v: Float64Array;
}

/**
 * The series with a fault from index `at`: jump (every value from there 10x the largest so far,
 * or 9x the range above it when that is more, so a series near or below 0 jumps too), spike (that one sample), zero (every value 0), flat (stuck at the value at
 * `at - 1`), stop (no samples: NaN). Null when it would not be a fault: no change, a drop to zero
 * on a series where 0 is a usual value (>= 1% of the values so far, or within their range), or stuck flat on a series
 * that did not move (half or more of its last `day` steps unchanged).
 */
export function inject(v: Float64Array, at: number, fault: Fault, day = 288): Float64Array | null {
  let lo = Infinity;
  let hi = -Infinity;
  let zeros = 0;
  for (let i = 0; i < at; i++) {
    lo = Math.min(lo, v[i]);
    hi = Math.max(hi, v[i]);
    zeros += v[i] === 0 ? 1 : 0;
  }
  let still = 0;
  for (let i = Math.max(1, at - day); i < at; i++) {
    still += v[i] === v[i - 1] ? 1 : 0;
  }
  const zeroUsual = zeros >= 0.01 * at || (lo <= 0 && hi >= 0);
  if ((fault === 'zero' && zeroUsual) || (fault === 'flat' && still >= 0.5 * Math.min(day, at - 1))) {
    return null;
  }
  return applyFault(v, at, v.length, fault, grossValue(lo, hi));
}

/** The value a jump or spike takes, above a series whose values so far lie in [lo, hi]. */
function grossValue(lo: number, hi: number): number {
  return hi + 9 * Math.max(hi - lo, Math.abs(hi), 1e-9);
}

/** `out` (a copy of v unless given) with `fault` from `from` until `to` (a spike: its first sample only); null if nothing changed. */
function applyFault(
  v: Float64Array,
  from: number,
  to: number,
  fault: Fault,
  gross: number,
  out: Float64Array = Float64Array.from(v)
): Float64Array | null {
  let changed = false;
  for (let i = from; i < to; i++) {
    if (fault === 'spike' && i > from) {
      break;
    }
    const x =
      fault === 'jump' || fault === 'spike' ? gross : fault === 'zero' ? 0 : fault === 'flat' ? v[from - 1] : NaN;
    changed ||= !Object.is(x, v[i]) && i < from + FEW;
    out[i] = x;
  }
  return changed ? out : null;
}

export interface Outcome {
  series: string;
  fault: Fault;
  at: number;
  /** Samples from the fault to the first reported alarm (Infinity: none within 24 h). */
  delay: number;
}

/** Indices of the reported alarms (score >= threshold) of a clean run, after the detector learned. */
function alarmsOf(name: string, s: Series, threshold: number): number[] {
  const d = createDetectorFromConfig(name, { trainingPoints: probationLength(s.v.length) });
  const out: number[] = [];
  for (let i = 0; i < s.v.length; i++) {
    if (d.update(s.t[i], s.v[i]) >= threshold && !d.learning) {
      out.push(i);
    }
  }
  return out;
}

/** Injection points: DISTANCES_H after each of up to `alarms` earlier alarms, and `places` evenly spaced. */
export function injectionPoints(s: Series, alarmsAt: number[], alarms: number, places: number): number[] {
  const n = s.v.length;
  const start = probationLength(n) + 1;
  const points = new Set<number>();
  for (const a of alarmsAt.slice(0, alarms)) {
    for (const h of DISTANCES_H) {
      const target = s.t[a] + h * 3_600_000;
      let i = a;
      while (i < n && s.t[i] < target) {
        i++;
      }
      if (i < n - 1) {
        points.add(i);
      }
    }
  }
  for (let k = 1; k <= places; k++) {
    points.add(start + Math.floor(((n - 1 - start) * k) / (places + 1)));
  }
  return [...points].sort((x, y) => x - y);
}

/** Samples per day at the series' median step. */
function stepsPerDay(s: Series): number {
  const steps = Array.from({ length: Math.min(s.t.length - 1, 1000) }, (_, i) => s.t[i + 1] - s.t[i]).sort(
    (a, b) => a - b
  );
  return Math.max(1, Math.round(DAY_MS / (steps[steps.length >> 1] || 300_000)));
}

/** Runs every fault at every point of one series. */
export function runFaults(
  name: string,
  s: Series,
  options: { alarms?: number; places?: number; threshold?: number; faults?: readonly Fault[] } = {}
): Outcome[] {
  const threshold = options.threshold ?? RECOMMENDED_THRESHOLD;
  const alarmsAt = alarmsOf(name, s, threshold);
  const out: Outcome[] = [];
  for (const at of injectionPoints(s, alarmsAt, options.alarms ?? 3, options.places ?? 5)) {
    for (const fault of options.faults ?? FAULTS) {
      const v = inject(s.v, at, fault, stepsPerDay(s));
      if (v === null) {
        continue;
      }
      const d = createDetectorFromConfig(name, { trainingPoints: probationLength(v.length) });
      let delay = Infinity;
      for (let i = 0; i < v.length && s.t[i] <= s.t[at] + DAY_MS; i++) {
        const score = d.update(s.t[i], v[i]);
        if (i >= at && score >= threshold) {
          delay = i - at;
          break;
        }
      }
      out.push({ series: s.name, fault, at, delay });
    }
  }
  return out;
}

/** Days between a fault and the same fault again (`--repeat`). */
export const REPEAT_DAYS = [1, 2, 4, 7];
/** How long each of the two faults lasts (a spike: one sample). */
const REPEAT_MS = 2 * 3_600_000;

export interface RepeatOutcome {
  series: string;
  fault: Fault;
  days: number;
  /** Samples from the second fault to the first reported alarm (Infinity: none while it lasts). */
  delay: number;
}

/**
 * The same fault twice (`--repeat`): for REPEAT_MS from 40% into the series (after its probation),
 * then again, identical, `days` later; how soon is the second reported? Skipped where `inject` would
 * skip the first, or where the second would not end before the series does.
 */
export function runRepeats(
  name: string,
  s: Series,
  faults: readonly Fault[] = FAULTS,
  threshold = RECOMMENDED_THRESHOLD
): RepeatOutcome[] {
  const n = s.v.length;
  const perDay = stepsPerDay(s);
  const len = Math.max(FEW, Math.round((REPEAT_MS * perDay) / DAY_MS));
  const first = Math.max(probationLength(n) + 1, Math.floor(0.4 * n));
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < first; i++) {
    lo = Math.min(lo, s.v[i]);
    hi = Math.max(hi, s.v[i]);
  }
  const gross = grossValue(lo, hi);
  const out: RepeatOutcome[] = [];
  for (const fault of faults) {
    const once = inject(s.v, first, fault, perDay) && applyFault(s.v, first, first + len, fault, gross);
    for (const days of REPEAT_DAYS) {
      const second = first + days * perDay;
      const twice =
        once && second + len < n && applyFault(s.v, second, second + len, fault, gross, Float64Array.from(once));
      if (!twice) {
        continue;
      }
      const d = createDetectorFromConfig(name, { trainingPoints: probationLength(n) });
      let delay = Infinity;
      for (let i = 0; i < second + len; i++) {
        if (d.update(s.t[i], twice[i]) >= threshold && i >= second) {
          delay = i - second;
          break;
        }
      }
      out.push({ series: s.name, fault, days, delay });
    }
  }
  return out;
}

/**
 * Generated 5-minute series (three weeks): daily rhythm with noise, a noisy random walk, and spiky
 * counts, each with an earlier anomaly (a spike and a shift of twice the noise range) so that the
 * faults land after alarms.
 */
export function generatedSeries(seed = 11): Series[] {
  const n = 6048;
  const rng = new Random(seed);
  const gauss = (): number => rng.next() + rng.next() + rng.next() - 1.5;
  const make = (name: string, f: (i: number, prev: number) => number): Series => {
    const t = new Float64Array(n);
    const v = new Float64Array(n);
    let prev = 0;
    for (let i = 0; i < n; i++) {
      t[i] = Date.UTC(2024, 0, 1) + i * 300_000;
      prev = f(i, prev);
      v[i] = prev + (i === 2500 ? 8 : 0) + (i >= 4000 && i < 4100 ? 4 : 0);
    }
    return { name, t, v };
  };
  return [
    make('generated/daily', (i) => 20 + 5 * Math.sin((2 * Math.PI * i) / 288) + gauss()),
    make('generated/walk', (i, prev) => (i === 0 ? 50 : prev + 0.1 * gauss() + 0.002 * (50 - prev))),
    make('generated/counts', () => Math.round(10 + 3 * gauss() + (rng.next() < 0.02 ? 6 : 0))),
  ];
}

/** Share flagged within 24 h and within FEW samples, per fault and overall. */
export function summarise(outcomes: Outcome[]): Map<string, { runs: number; day: number; few: number }> {
  const table = new Map<string, { runs: number; day: number; few: number }>();
  for (const o of outcomes) {
    for (const key of [o.fault, 'all']) {
      const row = table.get(key) ?? { runs: 0, day: 0, few: 0 };
      row.runs++;
      row.day += Number.isFinite(o.delay) ? 1 : 0;
      row.few += o.delay < FEW ? 1 : 0;
      table.set(key, row);
    }
  }
  return table;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2), { detector: 'string', nab: 'string', repeat: 'boolean' });
  const name = args.get('detector') || 'failureprophet';
  const corpus = readCorpus(args.get('nab') || DEFAULT_NAB);
  const series: Series[] = listDataFiles(corpus.dev.data).map((rel) => {
    const s = readSeries(join(corpus.dev.data, rel));
    return { name: rel, t: s.timestamps, v: s.values };
  });
  const lists = [
    ['dev NAB files', series],
    ['generated series', generatedSeries()],
  ] as const;
  if (args.has('repeat')) {
    for (const [label, list] of lists) {
      printRepeats(name, label, list);
    }
    return;
  }
  for (const [label, list] of lists) {
    const outcomes = list.flatMap((s) => runFaults(name, s));
    console.log(`${name}, ${label}: flagged within 24 h / within ${FEW} samples (threshold ${RECOMMENDED_THRESHOLD})`);
    for (const [key, r] of summarise(outcomes)) {
      console.log(
        `  ${key.padEnd(6)} ${r.runs.toString().padStart(4)} runs  ${((100 * r.day) / r.runs).toFixed(1).padStart(5)}%  ${((100 * r.few) / r.runs).toFixed(1).padStart(5)}%`
      );
    }
    for (const o of outcomes.filter((x) => !Number.isFinite(x.delay)).slice(0, 10)) {
      console.log(`  missed: ${o.series} ${o.fault} at ${o.at}`);
    }
  }
}

function printRepeats(name: string, label: string, list: readonly Series[]): void {
  const outcomes = list.flatMap((s) => runRepeats(name, s));
  console.log(`${name}, ${label}: the same fault again, flagged within ${FEW} samples / while it lasts (runs)`);
  console.log(`  fault  ${REPEAT_DAYS.map((d) => `${d} d later`.padStart(18)).join('')}`);
  for (const fault of FAULTS) {
    const cells = REPEAT_DAYS.map((days) => {
      const runs = outcomes.filter((o) => o.fault === fault && o.days === days);
      const few = runs.filter((o) => o.delay < FEW).length;
      const lasts = runs.filter((o) => Number.isFinite(o.delay)).length;
      return `${few} / ${lasts} (${runs.length})`.padStart(18);
    });
    console.log(`  ${fault.padEnd(6)} ${cells.join('')}`);
  }
}

if (require.main === module) {
  main();
}
