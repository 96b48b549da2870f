import { createTable } from '../ddl';
import type { Migration } from '../migrate';
import { ANOMALIES, MODELS, PREDICTIONS } from '../pipelineTables';

/** The detection pipeline: where each watch resumes, target states, anomalies, feedback, predictions, models. */
export const pipelineMigration: Migration = {
  id: 2,
  name: 'pipeline',
  sql: `
    CREATE TABLE pipeline_watches (
      name              TEXT PRIMARY KEY,
      last_processed_ms INTEGER,
      updated_at        INTEGER NOT NULL
    );

    -- Streaming state of each target, checkpointed with the anomalies of the same cycle.
    CREATE TABLE pipeline_targets (
      id             TEXT PRIMARY KEY,
      watch          TEXT NOT NULL,
      labels         TEXT NOT NULL,
      state          TEXT NOT NULL,
      last_sample_ms INTEGER,
      updated_at     INTEGER NOT NULL
    );
    CREATE INDEX pipeline_targets_watch ON pipeline_targets (watch);

    ${createTable('sqlite', ANOMALIES)}
    CREATE INDEX anomalies_time ON anomalies (end_ms, start_ms);
    CREATE INDEX anomalies_open ON anomalies (state) WHERE state = 'open';

    CREATE TABLE anomaly_feedback (
      id         INTEGER PRIMARY KEY AUTOINCREMENT,
      anomaly_id INTEGER NOT NULL REFERENCES anomalies (id),
      kind       TEXT NOT NULL,
      source     TEXT NOT NULL,
      user       TEXT,
      comment    TEXT,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX anomaly_feedback_anomaly ON anomaly_feedback (anomaly_id);

    ${createTable('sqlite', PREDICTIONS)}
    CREATE INDEX predictions_time ON predictions (made_at_ms);

    ${createTable('sqlite', MODELS)}
    CREATE INDEX models_active ON models (target_id) WHERE status = 'active';
  `,
};
