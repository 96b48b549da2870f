import { type BandPoint, type Target } from '../../src/contract/pipeline';

/**
 * The scored targets the screenshots show. The backend scores targets only from Prometheus, which
 * the screenshots run without: these are what its /api/targets would list for a small shop, with
 * the anomalies, forecast and model the store holds for them (seed.ts) matching.
 */

const MINUTE = 60_000;
/** Points of score history and of the detail's series: two hours at one a minute. */
const POINTS = 120;

/** Deterministic noise in [-0.5, 0.5), so each run draws the same pictures. */
function noise(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
}

/** Minutes before `now`, oldest first. */
const steps = (now: number) => Array.from({ length: POINTS }, (_, i) => now - (POINTS - 1 - i) * MINUTE);

export const CART_LATENCY = 'latency{deployment="cart"}';
export const SHOP_0_MEMORY = 'memory{pod="shop-0"}';
/** The cart's spike: its last minutes, as the stored anomaly's window says. */
export const SPIKE_MINUTES = 10;

/** The cart's p99 latency in seconds, with its band: steady, then the spike the anomaly is about. */
export function cartLatency(now: number): BandPoint[] {
  const jitter = noise(7);
  return steps(now).map((t, i) => {
    const spike = i >= POINTS - SPIKE_MINUTES;
    const expected = 0.42 + 0.05 * Math.sin(i / 15);
    const value = spike ? 1.6 + 0.6 * Math.sin((i - POINTS + SPIKE_MINUTES) / 3) : expected + 0.06 * jitter();
    const score = spike ? 0.88 + 0.05 * Math.sin(i) : Math.min(0.6, Math.abs(value - expected) * 3 + 0.1);
    return { t, value, expected, lower: expected - 0.12, upper: expected + 0.12, score };
  });
}

/** A score history ending at `last`, quiet before: the Overview's sparklines. */
function scores(now: number, seed: number, level: number, last: number): Array<[number, number]> {
  const jitter = noise(seed);
  return steps(now).map((t, i) => [t, i === POINTS - 1 ? last : Math.max(0, level + 0.08 * jitter())]);
}

interface Spec {
  watch: string;
  labels: Record<string, string>;
  object: Target['object'];
  score: number;
  signal: string;
  value: number;
  expected: number;
  spread: number;
}

const SPECS: Spec[] = [
  {
    watch: 'latency',
    labels: { deployment: 'cart' },
    object: { kind: 'Deployment', namespace: 'shop', name: 'cart' },
    score: 0.93,
    signal: 'p99',
    value: 2.1,
    expected: 0.42,
    spread: 0.12,
  },
  {
    watch: 'memory',
    labels: { pod: 'shop-0' },
    object: { kind: 'Pod', namespace: 'shop', name: 'shop-0' },
    score: 0.72,
    signal: 'working_set',
    value: 412e6,
    expected: 300e6,
    spread: 40e6,
  },
  {
    watch: 'errors',
    labels: { deployment: 'cart' },
    object: { kind: 'Deployment', namespace: 'shop', name: 'cart' },
    score: 0.41,
    signal: 'rate',
    value: 0.8,
    expected: 0.5,
    spread: 0.4,
  },
  {
    watch: 'latency',
    labels: { deployment: 'checkout' },
    object: { kind: 'Deployment', namespace: 'shop', name: 'checkout' },
    score: 0.34,
    signal: 'p99',
    value: 0.61,
    expected: 0.55,
    spread: 0.15,
  },
  {
    watch: 'memory',
    labels: { pod: 'shop-1' },
    object: { kind: 'Pod', namespace: 'shop', name: 'shop-1' },
    score: 0.22,
    signal: 'working_set',
    value: 305e6,
    expected: 298e6,
    spread: 40e6,
  },
  {
    watch: 'memory',
    labels: { pod: 'shop-2' },
    object: { kind: 'Pod', namespace: 'shop', name: 'shop-2' },
    score: 0.18,
    signal: 'working_set',
    value: 296e6,
    expected: 301e6,
    spread: 40e6,
  },
  {
    watch: 'errors',
    labels: { deployment: 'checkout' },
    object: { kind: 'Deployment', namespace: 'shop', name: 'checkout' },
    score: 0.12,
    signal: 'rate',
    value: 0.2,
    expected: 0.3,
    spread: 0.4,
  },
  {
    watch: 'latency',
    labels: { deployment: 'search' },
    object: { kind: 'Deployment', namespace: 'shop', name: 'search' },
    score: 0.08,
    signal: 'p99',
    value: 0.2,
    expected: 0.21,
    spread: 0.08,
  },
];

const idOf = (s: Spec) =>
  `${s.watch}{${Object.entries(s.labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

/** The fleet as /api/targets lists it (highest score first), each with its score history. */
export function fleet(now: number): Target[] {
  return SPECS.map((s, i) => {
    const id = idOf(s);
    const alarming = s.score >= 0.8;
    const leaking = id === SHOP_0_MEMORY;
    return {
      id,
      watch: s.watch,
      labels: s.labels,
      object: s.object,
      score: s.score,
      threshold: 0.8,
      severity: alarming ? 'critical' : leaking ? 'high' : null,
      failureModel: alarming || leaking ? 'resource_exhaustion' : null,
      // shop-0 leaks: its working set reaches its 512 MB limit in about two hours.
      timeToFailure: leaking
        ? {
            signal: s.signal,
            limit: 512e6,
            direction: 'above',
            seconds: 7_200,
            lowerSeconds: 5_400,
            upperSeconds: 10_800,
            fromMs: now,
            stepMs: MINUTE,
          }
        : null,
      ...(leaking ? {} : { noForecast: s.watch === 'memory' ? 'no significant trend' : 'no limit' }),
      openAnomalies: alarming || leaking ? 1 : 0,
      lastScoredAt: now,
      learning: false,
      learningProgress: 1,
      learningSecondsLeft: 0,
      faultsOnlySecondsLeft: 0,
      degraded: false,
      signals: [
        {
          name: s.signal,
          value: s.value,
          expected: s.expected,
          lower: s.expected - s.spread,
          upper: s.expected + s.spread,
          score: s.score,
          direction: alarming ? 'above' : 'none',
          lastSampleAt: now,
        },
      ],
      scores:
        id === CART_LATENCY
          ? cartLatency(now).map((p): [number, number] => [p.t, p.score])
          : scores(now, i + 11, Math.min(s.score, 0.3), s.score),
    };
  });
}
