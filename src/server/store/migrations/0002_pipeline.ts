import type { Migration } from '../migrate';

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

    -- (target, start) is unique: replaying the same data after a crash updates, never duplicates.
    CREATE TABLE anomalies (
      id                    INTEGER PRIMARY KEY AUTOINCREMENT,
      target_id             TEXT NOT NULL,
      watch                 TEXT NOT NULL,
      labels                TEXT NOT NULL,
      start_ms              INTEGER NOT NULL,
      end_ms                INTEGER NOT NULL,
      peak_score            REAL NOT NULL,
      severity              TEXT NOT NULL,
      failure_model         TEXT NOT NULL,
      state                 TEXT NOT NULL,
      signals               TEXT NOT NULL,
      direction             TEXT NOT NULL,
      reasons               TEXT NOT NULL,
      grafana_annotation_id INTEGER,
      created_at            INTEGER NOT NULL,
      updated_at            INTEGER NOT NULL,
      UNIQUE (target_id, start_ms)
    );
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

    CREATE TABLE predictions (
      id            INTEGER PRIMARY KEY AUTOINCREMENT,
      target_id     TEXT NOT NULL,
      watch         TEXT NOT NULL,
      signal        TEXT NOT NULL,
      made_at_ms    INTEGER NOT NULL,
      limit_value   REAL NOT NULL,
      direction     TEXT NOT NULL,
      seconds       REAL NOT NULL,
      lower_seconds REAL,
      upper_seconds REAL,
      UNIQUE (target_id, signal, made_at_ms)
    );
    CREATE INDEX predictions_time ON predictions (made_at_ms);

    CREATE TABLE models (
      id                 INTEGER PRIMARY KEY AUTOINCREMENT,
      watch              TEXT NOT NULL,
      target_id          TEXT NOT NULL,
      version            INTEGER NOT NULL,
      status             TEXT NOT NULL,
      error              TEXT,
      reason             TEXT NOT NULL,
      trained_at         INTEGER NOT NULL,
      range_start        INTEGER NOT NULL,
      range_end          INTEGER NOT NULL,
      samples            INTEGER NOT NULL,
      params             TEXT NOT NULL,
      threshold          REAL NOT NULL,
      feedback_fp        INTEGER NOT NULL,
      feedback_confirmed INTEGER NOT NULL,
      UNIQUE (target_id, version)
    );
    CREATE INDEX models_active ON models (target_id) WHERE status = 'active';
  `,
};
