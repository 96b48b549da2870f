import type { Migration } from '../migrate';

/**
 * The audit log's trigger id indexed (an index orders equal values by rowid, which is the id), so the
 * entries of one trigger, and of one target (the triggers of its anomalies), are sought rather than the
 * log walked: `GET /api/audit?triggerId=` and `?target=`.
 */
export const auditTriggerIndexMigration: Migration = {
  id: 14,
  name: 'audit-trigger-index',
  sql: `CREATE INDEX healing_audit_trigger ON healing_audit (trigger_id);`,
};
