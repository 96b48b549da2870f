import type { Migration } from '../migrate';

/**
 * Each target as the API lists it, kept by the replica that scores it (issue 16): with replicas
 * sharing the watches, every replica lists the whole fleet from here. The primary key is the
 * listing's order and keyset.
 */
export const targetSummariesMigration: Migration = {
  id: 11,
  name: 'target-summaries',
  sql: `
    CREATE TABLE pipeline_target_summaries (
      watch      TEXT NOT NULL,
      id         TEXT NOT NULL,
      owner      TEXT NOT NULL,
      severity   TEXT,
      anomalous  INTEGER NOT NULL,
      summary    TEXT NOT NULL,
      scores     TEXT,               -- null until a target's first history is written
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (watch, id)
    );
    CREATE INDEX pipeline_target_summaries_id ON pipeline_target_summaries (id);
  `,
};
