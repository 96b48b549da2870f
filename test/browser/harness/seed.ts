import type { RunningBackend } from './backend';

/**
 * Stores one open critical anomaly on the cart deployment's latency (p99 far above its band, the
 * last 10 minutes before `now`), as the pipeline would; returns it as stored, with its id.
 */
export async function seedOpenAnomaly(backend: RunningBackend, now: number) {
  const [stored] = await backend.pipeline.repo.commitCycle({
    watch: 'latency',
    lastProcessed: now,
    targets: [],
    predictions: [],
    forgotten: [],
    anomalies: [
      {
        targetId: 'latency{deployment="cart"}',
        watch: 'latency',
        labels: { deployment: 'cart' },
        start: now - 600_000,
        end: now,
        peakScore: 0.97,
        severity: 'critical',
        failureModel: 'resource_exhaustion',
        state: 'open',
        signals: ['p99'],
        direction: 'above',
        reasons: ['p99 latency far above its band'],
      },
    ],
  });
  return stored;
}
