import type { Migration } from '../migrate';

/**
 * Indexes that let every list query of the pipeline read its page in order (newest first, the id
 * breaking ties: an index on a column orders equal values by rowid, which is the id) with each
 * filter of the API, instead of scanning the table and sorting it in a temporary B-tree.
 */
export const listIndexesMigration: Migration = {
  id: 7,
  name: 'list-indexes',
  sql: `
    CREATE INDEX anomalies_start ON anomalies (start_ms);
    CREATE INDEX anomalies_watch_start ON anomalies (watch, start_ms);
    CREATE INDEX anomalies_state_start ON anomalies (state, start_ms);
    CREATE INDEX anomalies_severity_start ON anomalies (severity, start_ms);
    CREATE INDEX predictions_target_time ON predictions (target_id, made_at_ms);
    CREATE INDEX predictions_watch_time ON predictions (watch, made_at_ms);
    CREATE INDEX models_trained ON models (trained_at);
    CREATE INDEX models_target_trained ON models (target_id, trained_at);
    CREATE INDEX models_watch_trained ON models (watch, trained_at);
  `,
};
