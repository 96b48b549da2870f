import type { Migration } from '../migrate';
import { postgresPipelineMigration } from './pipelineMigration';

/**
 * The PostgreSQL schema, versioned like the SQLite one (src/server/store/migrations). Today it holds
 * what the healing side needs across processes: triggers and actions, with the idempotency key that
 * makes a proposal made by two replicas one row, and the replica that claimed an action for execution.
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
  postgresPipelineMigration,
];
