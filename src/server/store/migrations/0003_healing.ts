import type { Migration } from '../migrate';

/**
 * The healing engine's state: triggers it was handed, actions and their lifecycle, the append-only
 * audit log, and the nodes it holds cordoned (the node budget). Policies, limits and the kill
 * switch live in `settings`.
 */
export const healingMigration: Migration = {
  id: 3,
  name: 'healing',
  sql: `
    CREATE TABLE healing_triggers (
      key        TEXT PRIMARY KEY,          -- "<source>:<id>"
      source     TEXT NOT NULL,
      trigger    TEXT NOT NULL,             -- HealingTrigger as JSON
      opened_at  INTEGER NOT NULL,
      closed_at  INTEGER
    );

    CREATE TABLE healing_actions (
      id           INTEGER PRIMARY KEY AUTOINCREMENT,
      trigger_key  TEXT NOT NULL REFERENCES healing_triggers(key),
      policy       TEXT NOT NULL,
      gate         TEXT NOT NULL,
      action_type  TEXT NOT NULL,
      target       TEXT NOT NULL,             -- "deployment shop/cart", "node n1"
      namespace    TEXT,                      -- NULL for node actions
      state        TEXT NOT NULL,
      action       TEXT NOT NULL,             -- PlannedAction JSON, pinned by its dry run
      dry_run      TEXT,
      decisions    TEXT NOT NULL DEFAULT '[]',
      reason       TEXT,
      progress     TEXT,                      -- a drain's persisted progress
      result       TEXT,
      verification TEXT,
      created_at   INTEGER NOT NULL,
      updated_at   INTEGER NOT NULL,
      expires_at   INTEGER,
      started_at   INTEGER,
      finished_at  INTEGER,
      -- Deduplication: one trigger never proposes the same action on the same target twice.
      UNIQUE (trigger_key, action_type, target)
    );
    CREATE INDEX healing_actions_state ON healing_actions (state);
    CREATE INDEX healing_actions_started ON healing_actions (started_at);
    CREATE INDEX healing_actions_target ON healing_actions (target, action_type, started_at);

    CREATE TABLE healing_audit (
      id         INTEGER PRIMARY KEY AUTOINCREMENT,
      at         INTEGER NOT NULL,
      kind       TEXT NOT NULL,
      action_id  INTEGER,
      trigger_id TEXT,
      user       TEXT,
      comment    TEXT,
      message    TEXT NOT NULL,
      details    TEXT
    );
    CREATE INDEX healing_audit_at ON healing_audit (at);
    CREATE INDEX healing_audit_action ON healing_audit (action_id);
    CREATE TRIGGER healing_audit_no_update BEFORE UPDATE ON healing_audit
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER healing_audit_no_delete BEFORE DELETE ON healing_audit
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

    CREATE TABLE healing_nodes_held (
      node       TEXT PRIMARY KEY,
      action_id  INTEGER NOT NULL,
      since      INTEGER NOT NULL
    );
  `,
};
