/**
 * Fault injection: does a gross fault get flagged whatever alarmed before it? For each series, the
 * detector first runs clean to find its own alarms; then each fault type is injected at several
 * distances after an earlier alarm and at evenly spaced places, and a run counts as flagged when a
 * reported score reaches the threshold within 24 h of the fault (and "fast" within FEW samples).
 *
 * `npm run nab:faults -- [--detector NAME] [--nab DIR]`: dev NAB files and generated series.
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
  const out = Float64Array.from(v);
  const gross = hi + 9 * Math.max(hi - lo, Math.abs(hi), 1e-9);
  let changed = false;
  for (let i = at; i < v.length; i++) {
    if (fault === 'spike' && i > at) {
      break;
    }
    const x = fault === 'jump' || fault === 'spike' ? gross : fault === 'zero' ? 0 : fault === 'flat' ? v[at - 1] : NaN;
    changed ||= !Object.is(x, v[i]) && i < at + FEW;
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
  const args = parseArgs(process.argv.slice(2));
  const name = args.get('detector') || 'failureprophet';
  const corpus = readCorpus(args.get('nab') || DEFAULT_NAB);
  const series: Series[] = listDataFiles(corpus.dev.data).map((rel) => {
    const s = readSeries(join(corpus.dev.data, rel));
    return { name: rel, t: s.timestamps, v: s.values };
  });
  for (const [label, list] of [
    ['dev NAB files', series],
    ['generated series', generatedSeries()],
  ] as const) {
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

if (require.main === module) {
  main();
}
