import type { Logger } from 'pino';
import type { SafetyLimits } from '../../contract/healing';
import { PRUNE_BATCH_ROWS, PRUNE_INTERVAL_MS } from '../store/pruneCadence';
import { iso } from './lifecycle';
import type { HealingMetrics } from './metrics';
import { PRUNED_TABLES, type PruneBatch, type PrunedTable } from './store/prune';
import type { ActionRepository, AuditRepository, BreakerRepository } from './store/repositories';

const DAY_MS = 86_400_000;

export interface RetentionDeps {
  /** FP_HEALING_RETENTION_DAYS: finished records older than this many days go; 0 keeps everything. */
  days: number;
  actions: Pick<ActionRepository, 'pruneFinished'>;
  breakers: Pick<BreakerRepository, 'pruneClosed'>;
  audit: Pick<AuditRepository, 'pruneBefore'>;
  limits: () => Promise<SafetyLimits>;
  metrics: Pick<HealingMetrics, 'pruned'>;
  logger: Logger;
  now: () => number;
}

/** A prune under way: its cutoffs, fixed when it started, what is left of it and what it deleted so far. */
interface Prune {
  recordsBefore: number;
  auditBefore: number;
  recordsLeft: boolean;
  breakersLeft: boolean;
  auditLeft: boolean;
  deleted: Record<PrunedTable, number>;
}

/**
 * How far back the safety limits read earlier actions (the cooldown, the circuit breaker's window):
 * finished actions are kept at least this long whatever the retention, or a short retention would
 * let the same fix run again sooner than the limits allow.
 */
export const limitsLookbackMs = (limits: SafetyLimits) =>
  Math.max(limits.cooldownSeconds, limits.circuitBreaker.windowSeconds) * 1000;

/**
 * Retention of the healing records, run on the engine's tick (the leader's): at most once an hour it
 * deletes finished actions and their closed triggers, closed circuit breakers, and audit entries, older
 * than the retention, one batch of each per tick until none is left, so a first prune of a large store
 * never holds up the loop.
 * Each batch is counted in failureprophet_healing_pruned_total; a prune that deleted anything is
 * logged once, at its end. The prune is not written to the audit log it prunes: the log line, the
 * counter and the cutoff the store records (`healing_retention`) say it.
 */
export class HealingRetention {
  private prune?: Prune;
  private dueAt = -Infinity;

  constructor(private readonly deps: RetentionDeps) {}

  async tick(): Promise<void> {
    if (this.deps.days === 0) {
      return;
    }
    const prune = this.prune ?? (await this.start());
    if (!prune) {
      return;
    }
    if (prune.recordsLeft) {
      prune.recordsLeft = this.count(
        prune,
        await this.deps.actions.pruneFinished(prune.recordsBefore, PRUNE_BATCH_ROWS)
      );
    }
    if (prune.breakersLeft) {
      // The records' cutoff: a breaker's last close on a target moves its window while within it.
      prune.breakersLeft = this.count(
        prune,
        await this.deps.breakers.pruneClosed(prune.recordsBefore, PRUNE_BATCH_ROWS)
      );
    }
    if (prune.auditLeft) {
      prune.auditLeft = this.count(prune, await this.deps.audit.pruneBefore(prune.auditBefore, PRUNE_BATCH_ROWS));
    }
    if (!prune.recordsLeft && !prune.breakersLeft && !prune.auditLeft) {
      this.prune = undefined;
      this.report(prune);
    }
  }

  /** A new prune when one is due. */
  private async start(): Promise<Prune | undefined> {
    const now = this.deps.now();
    if (now < this.dueAt) {
      return undefined;
    }
    const auditBefore = now - this.deps.days * DAY_MS;
    const recordsBefore = Math.min(auditBefore, now - limitsLookbackMs(await this.deps.limits()));
    this.dueAt = now + PRUNE_INTERVAL_MS;
    this.prune = {
      recordsBefore,
      auditBefore,
      recordsLeft: true,
      breakersLeft: true,
      auditLeft: true,
      deleted: { healing_actions: 0, healing_triggers: 0, healing_breakers: 0, healing_audit: 0 },
    };
    return this.prune;
  }

  /** Adds a batch to the prune and the counter; whether more is left. */
  private count(prune: Prune, batch: PruneBatch): boolean {
    for (const table of PRUNED_TABLES) {
      prune.deleted[table] += batch.deleted[table] ?? 0;
    }
    this.deps.metrics.pruned(batch.deleted);
    return batch.more;
  }

  private report({ deleted, recordsBefore, auditBefore }: Prune): void {
    const fields = { deleted, recordsBefore: iso(recordsBefore), auditBefore: iso(auditBefore) };
    const total = PRUNED_TABLES.reduce((n, table) => n + deleted[table], 0);
    if (total === 0) {
      this.deps.logger.debug(fields, 'healing retention: nothing to prune');
      return;
    }
    this.deps.logger.info(
      fields,
      `healing retention pruned ${deleted.healing_actions} finished actions, ${deleted.healing_triggers} closed triggers and ${deleted.healing_breakers} closed circuit breakers from before ${iso(recordsBefore)}, and ${deleted.healing_audit} audit entries from before ${iso(auditBefore)}`
    );
  }
}
