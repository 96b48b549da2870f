import type { Migration } from '../migrate';

/**
 * What the healing lists need to answer a page in time with 100,000 rows (issue 16): the number of
 * actions in each state and of audit entries of each kind, kept by triggers as rows are written, so
 * a page's `total` is a sum of a few rows instead of a count of every matching one; and the audit
 * log's kind indexed, so a page of one kind reads it in id order.
 */
export const healingListCountsMigration: Migration = {
  id: 10,
  name: 'healing-list-counts',
  sql: `
    CREATE TABLE healing_action_counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO healing_action_counts (state, n) SELECT state, COUNT(*) FROM healing_actions GROUP BY state;
    CREATE TRIGGER healing_action_counts_insert AFTER INSERT ON healing_actions BEGIN
      INSERT OR IGNORE INTO healing_action_counts (state, n) VALUES (NEW.state, 0);
      UPDATE healing_action_counts SET n = n + 1 WHERE state = NEW.state;
    END;
    CREATE TRIGGER healing_action_counts_update AFTER UPDATE OF state ON healing_actions
      WHEN OLD.state IS NOT NEW.state BEGIN
      UPDATE healing_action_counts SET n = n - 1 WHERE state = OLD.state;
      INSERT OR IGNORE INTO healing_action_counts (state, n) VALUES (NEW.state, 0);
      UPDATE healing_action_counts SET n = n + 1 WHERE state = NEW.state;
    END;
    CREATE TRIGGER healing_action_counts_delete AFTER DELETE ON healing_actions BEGIN
      UPDATE healing_action_counts SET n = n - 1 WHERE state = OLD.state;
    END;

    CREATE TABLE healing_audit_counts (kind TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO healing_audit_counts (kind, n) SELECT kind, COUNT(*) FROM healing_audit GROUP BY kind;
    -- The audit log refuses UPDATE and DELETE (migration 0003): an insert is the only change to count.
    CREATE TRIGGER healing_audit_counts_insert AFTER INSERT ON healing_audit BEGIN
      INSERT OR IGNORE INTO healing_audit_counts (kind, n) VALUES (NEW.kind, 0);
      UPDATE healing_audit_counts SET n = n + 1 WHERE kind = NEW.kind;
    END;
    CREATE INDEX healing_audit_kind ON healing_audit (kind);
  `,
};
