import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { Clock } from '../../clock';
import { PRUNE_BATCH_ROWS, PRUNE_INTERVAL_MS } from '../../store/pruneCadence';
import { DETECTION_PRUNED_TABLES, type DetectionPruneBatch, type DetectionPrunedTable } from './detectionPrune';
import type { PipelineRepository } from './repository';

const DAY_MS = 86_400_000;

/**
 * How far past a watch's history anomalies with feedback are kept: retraining counts its history back
 * from the watch's last processed step, which trails the clock (its lag, or a catch-up after a stop).
 */
export const LABELLED_MARGIN_MS = DAY_MS;

/** What a prune deletes, one part after the other within a tick. */
const PARTS = ['anomalies', 'predictions', 'models', 'retrain_requests'] as const;
type Part = (typeof PARTS)[number];

export interface DetectionRetentionDeps {
  /** FP_DETECTION_RETENTION_DAYS: detection records older than this many days go; 0 keeps everything. */
  days: number;
  repo: Pick<PipelineRepository, 'pruneAnomalies' | 'prunePredictions' | 'pruneModels' | 'pruneRetrainRequests'>;
  /** The longest history among the watches now (ms): retraining reads the feedback inside it. */
  longestHistory: () => number;
  /** Whether this replica leads: only the leader prunes. */
  leads: () => boolean;
  metrics: Registry;
  logger: Logger;
  now: () => number;
}

/** A prune under way: its cutoffs, fixed when it started, what is left of it and what it deleted so far. */
interface Prune {
  before: number;
  labelledBefore: number;
  left: Record<Part, boolean>;
  deleted: Record<DetectionPrunedTable, number>;
}

/**
 * Retention of the detection records, as the healing records' (src/server/healing/retention.ts) and on
 * the same cadence: on the leader's tick, at most once an hour, it deletes closed anomalies with their
 * feedback, prediction rows, model versions nothing runs and answered retrain requests, older than
 * the retention (detectionPrune.ts says which may go), one batch of each per tick until none is
 * left. Anomalies with feedback stay as long as the longest watch history too, and any anomaly as
 * long as a healing trigger names it. Each batch is counted in failureprophet_detection_pruned_total; a prune that
 * deleted anything is logged once, at its end.
 */
export class DetectionRetention {
  private prune?: Prune;
  private dueAt = -Infinity;
  private readonly pruned: Counter<'table'>;
  private running?: Promise<void>;
  private stopTimer?: () => void;

  constructor(private readonly deps: DetectionRetentionDeps) {
    this.pruned = new Counter({
      name: 'failureprophet_detection_pruned_total',
      help: `Detection records deleted by retention (FP_DETECTION_RETENTION_DAYS), by table: ${DETECTION_PRUNED_TABLES.join(', ')}.`,
      labelNames: ['table'],
      registers: [deps.metrics],
    });
    for (const table of DETECTION_PRUNED_TABLES) {
      this.pruned.inc({ table }, 0);
    }
  }

  /** Ticks every `intervalMs` (the healing tick's), one at a time; a failed tick is logged and its batch tried again at the next. */
  start(clock: Pick<Clock, 'every'>, intervalMs: number): void {
    if (this.deps.days === 0) {
      return;
    }
    this.stopTimer = clock.every(intervalMs, () => {
      this.running ??= this.tick()
        .catch((err: unknown) =>
          this.deps.logger.error(
            { err },
            'detection retention: a prune batch failed; it is tried again at the next tick'
          )
        )
        .finally(() => {
          this.running = undefined;
        });
    });
  }

  /** Stops ticking; resolves once a tick under way has ended. */
  async stop(): Promise<void> {
    this.stopTimer?.();
    await this.running;
  }

  async tick(): Promise<void> {
    if (this.deps.days === 0 || !this.deps.leads()) {
      return;
    }
    const prune = this.prune ?? this.begin();
    if (!prune) {
      return;
    }
    for (const part of PARTS) {
      if (prune.left[part]) {
        prune.left[part] = this.count(prune, await this.batch(part, prune));
      }
    }
    if (PARTS.every((part) => !prune.left[part])) {
      this.prune = undefined;
      this.report(prune);
    }
  }

  private batch(part: Part, { before, labelledBefore }: Prune): Promise<DetectionPruneBatch> {
    const { repo } = this.deps;
    switch (part) {
      case 'anomalies':
        return repo.pruneAnomalies({ before, labelledBefore }, PRUNE_BATCH_ROWS);
      case 'predictions':
        return repo.prunePredictions(before, PRUNE_BATCH_ROWS);
      case 'models':
        return repo.pruneModels(before, PRUNE_BATCH_ROWS);
      case 'retrain_requests':
        return repo.pruneRetrainRequests(before, PRUNE_BATCH_ROWS);
    }
  }

  /** A new prune when one is due. */
  private begin(): Prune | undefined {
    const now = this.deps.now();
    if (now < this.dueAt) {
      return undefined;
    }
    this.dueAt = now + PRUNE_INTERVAL_MS;
    const before = now - this.deps.days * DAY_MS;
    this.prune = {
      before,
      labelledBefore: Math.min(before, now - this.deps.longestHistory() - LABELLED_MARGIN_MS),
      left: { anomalies: true, predictions: true, models: true, retrain_requests: true },
      deleted: { anomalies: 0, anomaly_feedback: 0, predictions: 0, models: 0, retrain_requests: 0 },
    };
    return this.prune;
  }

  /** Adds a batch to the prune and the counter; whether more is left. */
  private count(prune: Prune, batch: DetectionPruneBatch): boolean {
    for (const table of DETECTION_PRUNED_TABLES) {
      const n = batch.deleted[table] ?? 0;
      prune.deleted[table] += n;
      this.pruned.inc({ table }, n);
    }
    return batch.more;
  }

  private report({ deleted, before, labelledBefore }: Prune): void {
    const at = (ms: number) => new Date(ms).toISOString();
    const fields = { deleted, before: at(before), labelledBefore: at(labelledBefore) };
    if (DETECTION_PRUNED_TABLES.every((table) => deleted[table] === 0)) {
      this.deps.logger.debug(fields, 'detection retention: nothing to prune');
      return;
    }
    this.deps.logger.info(
      fields,
      `detection retention pruned ${deleted.anomalies} closed anomalies with ${deleted.anomaly_feedback} feedback entries, ${deleted.predictions} predictions, ${deleted.models} model versions and ${deleted.retrain_requests} answered retrain requests from before ${at(before)} (anomalies with feedback from before ${at(labelledBefore)})`
    );
  }
}

/**
 * What an operator must hear at start-up about FP_DETECTION_RETENTION_DAYS: where it keeps records
 * longer than it says, and why. Not refused: watches change while the backend runs (the Watches tab),
 * so no start-up check could hold for them; the prune keeps what retraining reads whatever they become.
 */
export function retentionWarnings(
  days: number,
  healingDays: number,
  watches: ReadonlyArray<{ name: string; history: number }>
): string[] {
  if (days === 0) {
    return [];
  }
  const warnings: string[] = [];
  const longer = watches.filter((w) => w.history > days * DAY_MS);
  if (longer.length > 0) {
    const kept = Math.ceil((Math.max(...longer.map((w) => w.history)) + LABELLED_MARGIN_MS) / DAY_MS);
    warnings.push(
      `FP_DETECTION_RETENTION_DAYS=${days} is shorter than the history of ${longer
        .map((w) => `watch ${w.name} (${w.history / DAY_MS} d)`)
        .join(
          ', '
        )}: retraining reads the feedback on anomalies inside a watch's history, so anomalies with feedback are kept ${kept} days (the longest history and a day); the others go after ${days} days`
    );
  }
  if (healingDays === 0) {
    warnings.push(
      `FP_DETECTION_RETENTION_DAYS=${days} but FP_HEALING_RETENTION_DAYS is 0 (keep everything): an anomaly stays as long as the healing trigger it opened, and healing keeps every trigger, so no anomaly healing took in is pruned (only predictions, old model versions and anomalies healing never saw); set FP_HEALING_RETENTION_DAYS too`
    );
  } else if (healingDays > days) {
    warnings.push(
      `FP_DETECTION_RETENTION_DAYS=${days} is shorter than FP_HEALING_RETENTION_DAYS=${healingDays}: an anomaly stays as long as the healing trigger it opened, so anomalies healing took in are kept about ${healingDays} days`
    );
  }
  return warnings;
}
