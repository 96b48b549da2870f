import type { Migration } from '../migrate';

/**
 * Each audit entry an anomaly triggered keeps its pipeline target (`target_id`, set by the insert
 * from the anomaly's row), indexed with its id, so `GET /api/audit?target=` and its export seek the
 * target's entries in id order: a page costs its rows, an export the target's entries. Read through
 * the target's anomalies instead, each page re-read every anomaly the target ever had.
 *
 * Old rows are filled as that read matched them (the trigger id equal to an anomaly's id in decimal
 * text), so the filter answers as before. The log refuses UPDATE: the guard is lifted only inside
 * this migration's transaction and restored as migration 0003 wrote it.
 */
export const auditTargetsMigration: Migration = {
  id: 15,
  name: 'audit-targets',
  sql: `
    ALTER TABLE healing_audit ADD COLUMN target_id TEXT;
    DROP TRIGGER healing_audit_no_update;
    UPDATE healing_audit
       SET target_id = (SELECT a.target_id FROM anomalies a
                         WHERE a.id = CAST(healing_audit.trigger_id AS INTEGER)
                           AND CAST(a.id AS TEXT) = healing_audit.trigger_id)
     WHERE trigger_id IS NOT NULL;
    CREATE TRIGGER healing_audit_no_update BEFORE UPDATE ON healing_audit
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE INDEX healing_audit_target ON healing_audit (target_id) WHERE target_id IS NOT NULL;
  `,
};
