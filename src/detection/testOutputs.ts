import { createHash } from 'node:crypto';
import { Random } from './random';
import { createDetector, restoreDetector } from './registry';
import { DetectorName } from './options';
import { synthetic } from './testSeries';

/**
 * Series that reach every path of failureprophet's views and run views: a daily rhythm at one
 * minute with spikes (as the bench's series), a level shift with a new event within it and NaN
 * runs (one short, one long), a spike with a stuck value, a gap in time, a repeated and an older
 * timestamp, and a drift.
 */
export function outputSeries(): Array<{ name: string; t: Float64Array; v: Float64Array }> {
  const rng = new Random(1);
  const n = 8000;
  const daily = { t: new Float64Array(n), v: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    daily.t[i] = 1_700_000_000_000 + i * 60_000;
    // A triangle wave, not a sine: V8 has reimplemented sin, never arithmetic.
    const phase = Math.abs((i % 1440) / 720 - 1);
    daily.v[i] = 30 + 40 * phase + 3 * (rng.next() - 0.5) + (i % 2000 === 0 ? 40 : 0);
  }
  const step = synthetic('step', 3000, 1500);
  step.v.fill(NaN, 800, 806);
  step.v.fill(NaN, 1700, 1720);
  step.v[1600] += 60;
  const spike = synthetic('spike', 3000, 1500);
  spike.v.fill(spike.v[1200], 1200, 1212);
  for (let i = 1000; i < spike.t.length; i++) {
    spike.t[i] += 2 * 3_600_000;
  }
  spike.t[601] = spike.t[600];
  spike.t[1601] = spike.t[1599];
  const drift = synthetic('drift', 3000, 1500);
  return [
    { name: 'daily', ...daily },
    { name: 'step', ...step },
    { name: 'spike', ...spike },
    { name: 'drift', ...drift },
  ];
}

/**
 * sha256 of everything a detector outputs on outputSeries(): per sample its score, level, band and
 * learning flag, and its saved state (JSON) halfway and at the end; the second half runs on a
 * detector restored from the halfway state, so a restore that loses anything changes the digest.
 */
export function outputDigest(name: DetectorName): string {
  const hash = createHash('sha256');
  for (const s of outputSeries()) {
    let d = createDetector(name, { trainingPoints: 300 });
    const n = s.t.length;
    const out = new Float64Array(n * 6);
    for (let i = 0; i < n; i++) {
      if (i === n >> 1) {
        const saved = JSON.stringify(d.toState());
        hash.update(saved);
        d = restoreDetector(JSON.parse(saved));
      }
      out[6 * i] = d.update(s.t[i], s.v[i]);
      out[6 * i + 1] = d.level ?? NaN;
      out[6 * i + 2] = d.expected;
      out[6 * i + 3] = d.lower;
      out[6 * i + 4] = d.upper;
      out[6 * i + 5] = d.learning ? 1 : 0;
    }
    hash.update(new Uint8Array(out.buffer));
    hash.update(JSON.stringify(d.toState()));
  }
  return hash.digest('hex');
}
