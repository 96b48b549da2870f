/**
 * The rows `bench/http.bench.ts` serves: what a fleet's backend holds after a long time, written
 * through the stores' own repositories (so the rows are the product's).
 */
import type { HealingTrigger, PlannedAction } from '../src/contract/healing';
import { triggerKey } from '../src/server/healing/store/actionRows';
import type { AnomalyRecord, PredictionRecord } from '../src/server/pipeline/targetModel';
import type { Store } from '../src/server/store/store';

const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
const CHUNK = 10_000;

/** `rows` anomalies and predictions, and a model version for every tenth of them. */
export async function fillPipeline(store: Store, rows: number, t0: number): Promise<void> {
  for (let chunk = 0; chunk < rows; chunk += CHUNK) {
    const anomalies: AnomalyRecord[] = [];
    const predictions: PredictionRecord[] = [];
    for (let i = chunk; i < Math.min(rows, chunk + CHUNK); i++) {
      const targetId = `fleet{instance="i-${i % 5000}"}`;
      anomalies.push({
        targetId,
        watch: `fleet-${i % 4}`,
        labels: { instance: `i-${i % 5000}` },
        start: t0 + i * 30_000,
        end: t0 + i * 30_000 + 600_000,
        peakScore: 0.5,
        severity: SEVERITIES[i % 4],
        failureModel: 'byzantine',
        state: i % 50 === 0 ? 'open' : 'closed',
        signals: ['load'],
        direction: 'above',
        reasons: ['load above its band'],
      });
      predictions.push({
        targetId,
        watch: `fleet-${i % 4}`,
        signal: 'memory',
        madeAt: t0 + i * 30_000,
        limit: 1,
        direction: 'above',
        seconds: 3600,
        lowerSeconds: 1800,
        upperSeconds: 7200,
      });
    }
    await store.pipeline.commitCycle({
      watch: 'fleet-0',
      lastProcessed: t0,
      targets: [],
      anomalies,
      predictions,
      forgotten: [],
    });
  }
  for (let i = 0; i < rows / 10; i++) {
    await store.pipeline.addModel({
      watch: `fleet-${i % 4}`,
      targetId: `fleet{instance="i-${i % 5000}"}`,
      status: 'active',
      reason: 'initial',
      trainedAt: t0 + i * 1000,
      rangeStart: t0,
      rangeEnd: t0 + i * 1000,
      samples: 100,
      params: {},
      threshold: 0.24,
      feedback: { falsePositive: 0, confirmed: 0 },
    });
  }
}

/**
 * `rows` healing actions, each on its own anomaly trigger, proposed with an audit entry and then
 * settled (one in fifty left awaiting approval, its trigger open; the others rejected or verified, their
 * triggers closed, so the healing engine has nothing left to do), with two audit entries per action.
 * `batch` runs a group of writes in one transaction where the store can (SQLite: one process).
 */
export async function fillHealing(
  store: Store,
  rows: number,
  t0: number,
  batch: <T>(write: () => Promise<T>) => Promise<T> = (write) => write()
): Promise<void> {
  for (let chunk = 0; chunk < rows; chunk += CHUNK) {
    await batch(async () => {
      for (let i = chunk; i < Math.min(rows, chunk + CHUNK); i++) {
        const at = t0 + i * 60_000;
        const name = `web-${i % 500}`;
        const trigger: HealingTrigger = {
          source: 'anomaly',
          id: i + 1,
          watch: `fleet-${i % 4}`,
          labels: { namespace: 'shop', deployment: name },
          severity: SEVERITIES[i % 4],
          object: { kind: 'deployment', namespace: 'shop', name },
          startedAt: at,
        };
        const action: PlannedAction = {
          type: 'scale',
          target: { kind: 'deployment', namespace: 'shop', name },
          replicas: 4,
          ceiling: 10,
        };
        await store.healing.actions.openTrigger(trigger, at, () => undefined);
        const id = await store.healing.actions.insert(
          {
            triggerKey: triggerKey(trigger),
            policy: `policy-${i % 8}`,
            gate: 'approve',
            action,
            target: `deployment shop/${name}`,
            namespace: 'shop',
            at,
          },
          (actionId) => ({ at, kind: 'proposed', actionId, triggerId: trigger.id, message: `scale ${name} to 4` })
        );
        if (id === undefined) {
          throw new Error(`action ${i} was not inserted`);
        }
        const settled = i % 50 === 0 ? 'awaiting_approval' : i % 7 === 0 ? 'rejected' : 'verified';
        await store.healing.actions.transition({
          id,
          from: ['proposed'],
          to: settled,
          at: at + 1000,
          changes:
            settled === 'verified'
              ? {
                  startedAt: at + 1000,
                  finishedAt: at + 5000,
                  verification: { recovered: true, message: 'the anomaly closed', at: at + 60_000 },
                }
              : {},
          alongside: {
            audit: [
              {
                at: at + 1000,
                kind: settled === 'awaiting_approval' ? 'waiting' : settled,
                actionId: id,
                message: settled,
              },
            ],
          },
        });
        if (settled !== 'awaiting_approval') {
          await store.healing.actions.closeTrigger(triggerKey(trigger), at + 60_000);
        }
      }
    });
  }
}
