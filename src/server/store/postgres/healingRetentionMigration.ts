import type { Migration } from '../migrate';

/**
 * Migration 13: retention of the healing records, as SQLite's 0017 (which says why). The audit log
 * still refuses UPDATE and TRUNCATE, and refuses a DELETE of an entry not older than the cutoff a
 * prune records in `healing_retention` (one row, absent until then, only ever moved forward). Its per-target
 * counts (migration 12) follow the deletes, once per statement: a batch of a thousand entries
 * updates each target's row once. Closed triggers indexed by when they closed.
 */
export const healingRetentionMigration: Migration = {
  id: 13,
  name: 'healing retention',
  sql: `
    CREATE TABLE healing_retention (
      id           INTEGER PRIMARY KEY CHECK (id = 1),
      audit_cutoff BIGINT NOT NULL        -- epoch ms: audit entries before it may be deleted
    );
    CREATE FUNCTION healing_retention_forward() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'UPDATE' OR NEW.audit_cutoff < OLD.audit_cutoff OR NEW.id <> OLD.id THEN
          RAISE EXCEPTION 'the audit retention cutoff only moves forward';
        END IF;
        RETURN NEW;
      END
    $$;
    CREATE TRIGGER healing_retention_forward BEFORE UPDATE OR DELETE ON healing_retention
      FOR EACH ROW EXECUTE FUNCTION healing_retention_forward();
    CREATE TRIGGER healing_retention_no_truncate BEFORE TRUNCATE ON healing_retention
      FOR EACH STATEMENT EXECUTE FUNCTION healing_retention_forward();

    DROP TRIGGER healing_audit_no_change ON healing_audit;
    CREATE TRIGGER healing_audit_no_update BEFORE UPDATE ON healing_audit
      FOR EACH ROW EXECUTE FUNCTION healing_audit_append_only();
    CREATE FUNCTION healing_audit_retained() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM healing_retention WHERE id = 1 AND audit_cutoff > OLD.at) THEN
          RAISE EXCEPTION 'the audit log is append-only: only entries older than the retention cutoff are deleted';
        END IF;
        RETURN OLD;
      END
    $$;
    CREATE TRIGGER healing_audit_no_delete BEFORE DELETE ON healing_audit
      FOR EACH ROW EXECUTE FUNCTION healing_audit_retained();

    CREATE FUNCTION healing_audit_uncount_targets() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE healing_audit_target_counts c SET n = c.n - g.n
          FROM (SELECT target_id, COUNT(*) AS n FROM gone WHERE target_id IS NOT NULL GROUP BY target_id) g
         WHERE c.target_id = g.target_id;
        DELETE FROM healing_audit_target_counts c USING gone g WHERE c.target_id = g.target_id AND c.n <= 0;
        RETURN NULL;
      END
    $$;
    CREATE TRIGGER healing_audit_target_uncount AFTER DELETE ON healing_audit
      REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION healing_audit_uncount_targets();

    CREATE INDEX healing_triggers_closed ON healing_triggers (closed_at) WHERE closed_at IS NOT NULL;
  `,
};
