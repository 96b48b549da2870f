import type { Migration } from '../migrate';

/** Migration 19: retention of answered retrain requests, as SQLite's 0023 (which says why). */
export const retrainRequestRetentionMigration: Migration = {
  id: 19,
  name: 'retrain request retention',
  sql: `
    CREATE INDEX retrain_requests_answered ON retrain_requests ((COALESCE(done_at, expired_at)));
    CREATE INDEX retrain_requests_target ON retrain_requests (target_id, id);
  `,
};
