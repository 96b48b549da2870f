import { Random } from './random';

/** Synthetic 5-minute series for tests: base noise plus an optional change at `at`. */
export function synthetic(
  kind: 'step' | 'spike' | 'drift' | 'flat' | 'noise',
  n = 2000,
  at = 1500,
  seed = 7
): { t: Float64Array; v: Float64Array } {
  const rng = new Random(seed);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = Date.UTC(2024, 0, 1) + i * 300_000;
    // Sum of uniforms: near-Gaussian noise with unit-ish spread.
    const noise = kind === 'flat' ? 0 : rng.next() + rng.next() + rng.next() - 1.5;
    let x = 50 + 2 * noise;
    if (kind === 'step' && i >= at) {
      x += 15;
    } else if (kind === 'spike' && i === at) {
      x += 30;
    } else if (kind === 'drift' && i >= at) {
      x += 0.1 * (i - at);
    }
    v[i] = x;
  }
  return { t, v };
}
