import { createTable } from '../ddl';
import type { Migration } from '../migrate';
import { ANOMALIES, MODELS, PREDICTIONS } from '../pipelineTables';

/**
 * The pipeline's tables on PostgreSQL: those of the SQLite store (migrations 0002, 0004, 0006, 0007),
 * with times as BIGINT epoch milliseconds, labels and lists as JSONB, the compact target checkpoint
 * as BYTEA (no JSON form: that was SQLite's before it), ids GENERATED ALWAYS AS IDENTITY. Each list
 * query's order (time, then id, descending) has an index per filter, so a page reads its rows in
 * order instead of sorting the table; the unique keys make a replayed cycle an update, not a copy.
 */
export const postgresPipelineMigration: Migration = {
  id: 3,
  name: 'pipeline',
  sql: `
    CREATE TABLE pipeline_watches (
      name              TEXT PRIMARY KEY,
      last_processed_ms BIGINT,
      updated_at        BIGINT NOT NULL,
      definition        TEXT,
      peers             JSONB               -- peer groups; non-finite numbers tagged as {"$n": "NaN"|"Inf"|"-Inf"}
    );

    CREATE TABLE pipeline_targets (
      id             TEXT PRIMARY KEY,
      watch          TEXT NOT NULL,
      labels         JSONB NOT NULL,
      checkpoint     BYTEA NOT NULL,        -- the target's state, V8-serialised (pipeline/store/stateCodec.ts)
      last_sample_ms BIGINT,
      updated_at     BIGINT NOT NULL
    );
    CREATE INDEX pipeline_targets_watch ON pipeline_targets (watch);

    ${createTable('postgres', ANOMALIES)}
    CREATE INDEX anomalies_start ON anomalies (start_ms, id);
    CREATE INDEX anomalies_target_start_id ON anomalies (target_id, start_ms, id);
    CREATE INDEX anomalies_watch_start ON anomalies (watch, start_ms, id);
    CREATE INDEX anomalies_state_start ON anomalies (state, start_ms, id);
    CREATE INDEX anomalies_severity_start ON anomalies (severity, start_ms, id);

    CREATE TABLE anomaly_feedback (
      id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      anomaly_id BIGINT NOT NULL REFERENCES anomalies (id),
      kind       TEXT NOT NULL,
      source     TEXT NOT NULL,
      user_name  TEXT,                      -- "user" is a reserved word here
      comment    TEXT,
      created_at BIGINT NOT NULL
    );
    CREATE INDEX anomaly_feedback_anomaly ON anomaly_feedback (anomaly_id, id);

    ${createTable('postgres', PREDICTIONS)}
    CREATE INDEX predictions_time ON predictions (made_at_ms, id);
    CREATE INDEX predictions_target_time ON predictions (target_id, made_at_ms, id);
    CREATE INDEX predictions_watch_time ON predictions (watch, made_at_ms, id);

    ${createTable('postgres', MODELS)}
    CREATE INDEX models_trained ON models (trained_at, id);
    CREATE INDEX models_target_trained ON models (target_id, trained_at, id);
    CREATE INDEX models_watch_trained ON models (watch, trained_at, id);
  `,
};
