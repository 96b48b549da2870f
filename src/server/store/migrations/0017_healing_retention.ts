import type { Migration } from '../migrate';

/**
 * Retention of the healing records (FP_HEALING_RETENTION_DAYS, src/server/healing/retention.ts):
 * - the audit log stays append-only against everything but retention: UPDATE is still refused, and a
 *   DELETE allowed only of an entry older than the cutoff a prune records first in `healing_retention`.
 *   That row is one (`id = 1`), absent until a prune records it (nothing may go until an operator asks
 *   for retention), and only moves forward: moving it back, deleting it or inserting another is refused;
 * - the per-kind and per-target counts of the audit log (0010, 0016) follow its deletes as they follow
 *   its inserts (the per-state count of actions already did), so a list's total stays the real count; a
 *   target with no entry left loses its row, as one never counted has none;
 * - closed triggers indexed by when they closed, so a prune seeks the oldest instead of walking them all.
 */
export const healingRetentionMigration: Migration = {
  id: 17,
  name: 'healing-retention',
  sql: `
    CREATE TABLE healing_retention (
      id           INTEGER PRIMARY KEY CHECK (id = 1),
      audit_cutoff INTEGER NOT NULL      -- epoch ms: audit entries before it may be deleted
    );
    CREATE TRIGGER healing_retention_forward BEFORE UPDATE ON healing_retention
      WHEN NEW.audit_cutoff < OLD.audit_cutoff OR NEW.id IS NOT OLD.id BEGIN
      SELECT RAISE(ABORT, 'the audit retention cutoff only moves forward');
    END;
    CREATE TRIGGER healing_retention_no_delete BEFORE DELETE ON healing_retention BEGIN
      SELECT RAISE(ABORT, 'the audit retention cutoff only moves forward');
    END;
    -- Before the row's own check: an INSERT OR REPLACE would otherwise put an earlier cutoff in its place.
    CREATE TRIGGER healing_retention_no_insert BEFORE INSERT ON healing_retention
      WHEN EXISTS (SELECT 1 FROM healing_retention) BEGIN
      SELECT RAISE(ABORT, 'the audit retention cutoff only moves forward');
    END;

    DROP TRIGGER healing_audit_no_delete;
    CREATE TRIGGER healing_audit_no_delete BEFORE DELETE ON healing_audit
      WHEN NOT EXISTS (SELECT 1 FROM healing_retention WHERE id = 1 AND audit_cutoff > OLD.at) BEGIN
      SELECT RAISE(ABORT, 'the audit log is append-only: only entries older than the retention cutoff are deleted');
    END;

    CREATE TRIGGER healing_audit_counts_delete AFTER DELETE ON healing_audit BEGIN
      UPDATE healing_audit_counts SET n = n - 1 WHERE kind = OLD.kind;
    END;
    CREATE TRIGGER healing_audit_target_counts_delete AFTER DELETE ON healing_audit
      WHEN OLD.target_id IS NOT NULL BEGIN
      UPDATE healing_audit_target_counts SET n = n - 1 WHERE target_id = OLD.target_id;
      DELETE FROM healing_audit_target_counts WHERE target_id = OLD.target_id AND n <= 0;
    END;

    CREATE INDEX healing_triggers_closed ON healing_triggers (closed_at) WHERE closed_at IS NOT NULL;
  `,
};
