import type { Migration } from '../migrate';

/**
 * Retention of the detection records (FP_DETECTION_RETENTION_DAYS, src/server/pipeline/store/retention.ts):
 * closed anomalies indexed by when they ended, so a prune seeks the oldest. Without it SQLite reads
 * the state index and sorts every closed anomaly for each batch.
 */
export const detectionRetentionMigration: Migration = {
  id: 19,
  name: 'detection-retention',
  sql: `CREATE INDEX anomalies_closed_end ON anomalies (end_ms) WHERE state = 'closed';`,
};
