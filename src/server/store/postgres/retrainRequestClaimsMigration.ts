import type { Migration } from '../migrate';

/** Migration 16: a queued "Retrain now" follows its target, as SQLite's 0020 (which says why). */
export const retrainRequestClaimsMigration: Migration = {
  id: 16,
  name: 'retrain request claims',
  sql: `
    ALTER TABLE retrain_requests ADD COLUMN claimed_by TEXT;
    ALTER TABLE retrain_requests ADD COLUMN claimed_at BIGINT;
    ALTER TABLE retrain_requests ADD COLUMN expired_at BIGINT;
    DROP INDEX retrain_requests_pending;
    CREATE INDEX retrain_requests_waiting ON retrain_requests (id) WHERE done_at IS NULL AND expired_at IS NULL;
  `,
};
