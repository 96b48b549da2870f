import type { Migration } from '../migrate';

/**
 * A queued "Retrain now" follows its target (RETRAIN_CLAIM_COLUMNS says how): any replica reads
 * the waiting requests, so they are indexed by being waiting rather than by the replica once
 * addressed, which may be gone.
 */
export const retrainRequestClaimsMigration: Migration = {
  id: 20,
  name: 'retrain-request-claims',
  sql: `
    ALTER TABLE retrain_requests ADD COLUMN claimed_by TEXT;
    ALTER TABLE retrain_requests ADD COLUMN claimed_at INTEGER;
    ALTER TABLE retrain_requests ADD COLUMN expired_at INTEGER;
    DROP INDEX retrain_requests_pending;
    CREATE INDEX retrain_requests_waiting ON retrain_requests (id) WHERE done_at IS NULL AND expired_at IS NULL;
  `,
};
