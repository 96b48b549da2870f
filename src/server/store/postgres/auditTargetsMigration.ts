import type { Migration } from '../migrate';

/**
 * Migration 11: each audit entry an anomaly triggered keeps its pipeline target, indexed with its id, as
 * SQLite's 0015 (which says why). The append-only guard is lifted only inside this migration's transaction.
 */
export const auditTargetsMigration: Migration = {
  id: 11,
  name: 'audit targets',
  sql: `
    ALTER TABLE healing_audit ADD COLUMN target_id TEXT;
    ALTER TABLE healing_audit DISABLE TRIGGER healing_audit_no_change;
    UPDATE healing_audit h SET target_id = a.target_id FROM anomalies a WHERE a.id::text = h.trigger_id;
    ALTER TABLE healing_audit ENABLE TRIGGER healing_audit_no_change;
    CREATE INDEX healing_audit_target ON healing_audit (target_id, id) WHERE target_id IS NOT NULL;
  `,
};
