import type { Migration } from '../migrate';
import { anomalyTriggerIdsMigration } from './anomalyTriggerIdsMigration';
import { healingTargetListsMigration } from './healingTargetListsMigration';
import { auditTargetsMigration } from './auditTargetsMigration';
import { auditTriggerIndexMigration } from './auditTriggerIndexMigration';
import { detectionRetentionMigration } from './detectionRetentionMigration';
import { episodePeaksMigration } from './episodePeaksMigration';
import { healingListsMigration } from './healingListsMigration';
import { healingRetentionMigration } from './healingRetentionMigration';
import { membersMigration } from './membersMigration';
import { postgresPipelineMigration } from './pipelineMigration';
import { requestsMigration } from './requestsMigration';
import { retrainRequestClaimsMigration } from './retrainRequestClaimsMigration';
import { retrainRequestsMigration } from './retrainRequestsMigration';
import { targetSummariesMigration } from './targetSummariesMigration';
import { targetSummarySortsMigration } from './targetSummarySortsMigration';
import { announcementsMigration } from './announcementsMigration';
import { retrainRequestRetentionMigration } from './retrainRequestRetentionMigration';
import { modelListIndexesMigration } from './modelListIndexesMigration';

/**
 * The PostgreSQL schema, versioned like the SQLite one (src/server/store/migrations), with the same
 * table and column names (JSON in JSONB). Ids are claimed per room: 1 and 2 healing and settings,
 * 3 pipeline, 4 coordination, 5 pipeline, 6 healing, 7 pipeline, 8 healing, 9 every room (write
 * requests), 10 healing, 11 healing, 12 healing, 13 healing, 14 pipeline, 15 pipeline, 16 pipeline, 17 pipeline, 18 healing, 19 pipeline, 20 pipeline; later ones take the next number.
 */
export const postgresMigrations: Migration[] = [
  {
    id: 1,
    name: 'healing actions',
    sql: `
      CREATE TABLE healing_triggers (
        key        TEXT PRIMARY KEY,          -- "<source>:<id>"
        source     TEXT NOT NULL,
        trigger    JSONB NOT NULL,            -- HealingTrigger
        opened_at  BIGINT NOT NULL,
        closed_at  BIGINT
      );

      CREATE TABLE healing_actions (
        id              INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        -- One row per proposal whichever replica makes it: a second insert with the key is refused.
        idempotency_key TEXT NOT NULL CONSTRAINT healing_actions_idempotency UNIQUE,
        trigger_key     TEXT NOT NULL REFERENCES healing_triggers(key),
        policy          TEXT NOT NULL,
        gate            TEXT NOT NULL,
        action_type     TEXT NOT NULL,
        target          TEXT NOT NULL,
        namespace       TEXT,
        state           TEXT NOT NULL,
        action          JSONB NOT NULL,       -- PlannedAction, pinned by its dry run
        dry_run         JSONB,
        decisions       JSONB NOT NULL DEFAULT '[]',
        reason          JSONB,
        progress        JSONB,                -- a drain's persisted progress
        result          JSONB,
        verification    JSONB,
        claimed_by      TEXT,                 -- the replica that took it for execution
        change_token    UUID,                 -- the last change, so a change retried after a lost answer knows it won
        created_at      BIGINT NOT NULL,
        updated_at      BIGINT NOT NULL,
        expires_at      BIGINT,
        started_at      BIGINT,
        finished_at     BIGINT
      );
      CREATE INDEX healing_actions_state ON healing_actions (state, id);
      CREATE INDEX healing_actions_started ON healing_actions (started_at);
      CREATE INDEX healing_actions_target ON healing_actions (target, action_type, started_at);
    `,
  },
  {
    id: 2,
    name: 'settings, audit log, breakers, held nodes',
    sql: `
      CREATE TABLE settings (
        key        TEXT PRIMARY KEY,
        value      JSONB NOT NULL,
        updated_at BIGINT NOT NULL
      );

      -- The anomaly target a trigger is about (the actions list's triggerTarget filter), and a
      -- ladder step's place, as in SQLite.
      ALTER TABLE healing_triggers ADD COLUMN trigger_target TEXT;
      CREATE INDEX healing_triggers_target ON healing_triggers (trigger_target) WHERE trigger_target IS NOT NULL;
      CREATE INDEX healing_triggers_open ON healing_triggers (key) WHERE closed_at IS NULL;
      ALTER TABLE healing_actions ADD COLUMN ladder JSONB;

      CREATE TABLE healing_audit (
        id         INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at         BIGINT NOT NULL,
        kind       TEXT NOT NULL,
        action_id  INTEGER,
        trigger_id TEXT,
        "user"     TEXT,
        comment    TEXT,
        message    TEXT NOT NULL,
        details    JSONB
      );
      CREATE INDEX healing_audit_at ON healing_audit (at);
      CREATE INDEX healing_audit_action ON healing_audit (action_id);
      CREATE FUNCTION healing_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the audit log is append-only'; END
      $$;
      CREATE TRIGGER healing_audit_no_change BEFORE UPDATE OR DELETE ON healing_audit
        FOR EACH ROW EXECUTE FUNCTION healing_audit_append_only();
      CREATE TRIGGER healing_audit_no_truncate BEFORE TRUNCATE ON healing_audit
        FOR EACH STATEMENT EXECUTE FUNCTION healing_audit_append_only();

      CREATE TABLE healing_breakers (
        id             INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        target         TEXT NOT NULL,
        action_type    TEXT NOT NULL,
        repeats        INTEGER NOT NULL,
        window_seconds INTEGER NOT NULL,
        action_id      INTEGER NOT NULL,
        opened_at      BIGINT NOT NULL,
        closed_at      BIGINT,
        closed_by      TEXT,
        comment        TEXT
      );
      -- At most one open per target, whichever replica opens it.
      CREATE UNIQUE INDEX healing_breakers_open ON healing_breakers (target) WHERE closed_at IS NULL;
      CREATE INDEX healing_breakers_closed ON healing_breakers (target, closed_at);

      CREATE TABLE healing_nodes_held (
        node      TEXT PRIMARY KEY,
        action_id INTEGER NOT NULL,
        since     BIGINT NOT NULL
      );
    `,
  },
  postgresPipelineMigration,
  membersMigration,
  episodePeaksMigration,
  healingListsMigration,
  targetSummariesMigration,
  anomalyTriggerIdsMigration,
  requestsMigration,
  auditTriggerIndexMigration,
  auditTargetsMigration,
  healingTargetListsMigration,
  healingRetentionMigration,
  retrainRequestsMigration,
  detectionRetentionMigration,
  retrainRequestClaimsMigration,
  targetSummarySortsMigration,
  announcementsMigration,
  retrainRequestRetentionMigration,
  modelListIndexesMigration,
];
