import type { Migration } from '../migrate';

/**
 * Migration 12: the healing lists by target. The number of audit entries each target has, kept by a
 * trigger as SQLite's 0016 keeps it (which says why), so a page of `GET /api/audit?target=` reads its
 * total from one row instead of a COUNT(*) over the target's entries. One row per target, so replicas
 * writing entries of different targets never queue on it (a per-kind count would: every replica writes
 * the same few kinds). The log is locked against inserts while the counts are filled, so none is
 * counted twice or missed. And the actions indexed by their trigger's key.
 */
export const healingTargetListsMigration: Migration = {
  id: 12,
  name: 'healing target lists',
  sql: `
    LOCK TABLE healing_audit IN SHARE ROW EXCLUSIVE MODE;
    CREATE TABLE healing_audit_target_counts (target_id TEXT PRIMARY KEY, n BIGINT NOT NULL);
    INSERT INTO healing_audit_target_counts (target_id, n)
      SELECT target_id, COUNT(*) FROM healing_audit WHERE target_id IS NOT NULL GROUP BY target_id;
    CREATE FUNCTION healing_audit_count_target() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO healing_audit_target_counts (target_id, n) VALUES (NEW.target_id, 1)
          ON CONFLICT (target_id) DO UPDATE SET n = healing_audit_target_counts.n + 1;
        RETURN NULL;
      END
    $$;
    CREATE TRIGGER healing_audit_target_count AFTER INSERT ON healing_audit
      FOR EACH ROW WHEN (NEW.target_id IS NOT NULL) EXECUTE FUNCTION healing_audit_count_target();

    -- An action by its trigger's key (SQLite's UNIQUE (trigger_key, ...) serves it there): the actions of one
    -- target's triggers (?triggerTarget=) were a hash join over every action, ~200 ms at 100,000.
    CREATE INDEX healing_actions_trigger ON healing_actions (trigger_key);
  `,
};
