import type { Migration } from '../migrate';

/**
 * The healing lists by target answer from what is stored, as on PostgreSQL (its migration 12):
 * - each trigger keeps its anomaly's target (`trigger_target`, set on insert; PostgreSQL has had it
 *   since its migration 2), indexed, so `GET /api/actions?triggerTarget=` is a seek instead of the
 *   target computed from each joined trigger's JSON. Old rows are filled by the same computation the
 *   read made (`fp_trigger_target`, registered on the connection before it migrates), so the filter
 *   answers as before;
 * - the number of audit entries each target has, kept by a trigger as migration 0010 keeps them per
 *   kind, so a page of `GET /api/audit?target=` has its total from one row instead of counting every
 *   entry of the target. The log is append-only (0003): an insert is the only change to count.
 */
export const healingTargetListsMigration: Migration = {
  id: 16,
  name: 'healing-target-lists',
  sql: `
    ALTER TABLE healing_triggers ADD COLUMN trigger_target TEXT;
    UPDATE healing_triggers
       SET trigger_target = fp_trigger_target(json_extract(trigger, '$.watch'), json_extract(trigger, '$.labels'))
     WHERE json_extract(trigger, '$.source') = 'anomaly';
    CREATE INDEX healing_triggers_target ON healing_triggers (trigger_target) WHERE trigger_target IS NOT NULL;

    CREATE TABLE healing_audit_target_counts (target_id TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO healing_audit_target_counts (target_id, n)
      SELECT target_id, COUNT(*) FROM healing_audit WHERE target_id IS NOT NULL GROUP BY target_id;
    CREATE TRIGGER healing_audit_target_counts_insert AFTER INSERT ON healing_audit
      WHEN NEW.target_id IS NOT NULL BEGIN
      INSERT INTO healing_audit_target_counts (target_id, n) VALUES (NEW.target_id, 1)
        ON CONFLICT (target_id) DO UPDATE SET n = n + 1;
    END;
  `,
};
