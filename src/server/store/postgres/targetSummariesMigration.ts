import type { Migration } from '../migrate';

/** Migration 7: each target as the API lists it, kept by the replica that scores it, as SQLite's 0011. */
export const targetSummariesMigration: Migration = {
  id: 7,
  name: 'target summaries',
  sql: `
    CREATE TABLE pipeline_target_summaries (
      watch      TEXT NOT NULL,
      id         TEXT NOT NULL,
      owner      TEXT NOT NULL,
      severity   TEXT,
      anomalous  INTEGER NOT NULL,
      summary    JSONB NOT NULL,
      scores     JSONB,
      updated_at BIGINT NOT NULL,
      PRIMARY KEY (watch, id)
    );
    CREATE INDEX pipeline_target_summaries_id ON pipeline_target_summaries (id);
  `,
};
