import type { Migration } from '../migrate';

/**
 * Migration 15: retention of the detection records (src/server/pipeline/store/retention.ts), as
 * SQLite's 0019: closed anomalies indexed by when they ended, so a prune seeks the oldest instead of
 * walking every anomaly (the list indexes order by start).
 */
export const detectionRetentionMigration: Migration = {
  id: 15,
  name: 'detection retention',
  sql: `CREATE INDEX anomalies_closed_end ON anomalies (end_ms) WHERE state = 'closed';`,
};
