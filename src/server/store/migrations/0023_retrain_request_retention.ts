import type { Migration } from '../migrate';

/**
 * Retention of answered retrain requests (src/server/pipeline/store/detectionPrune.ts): by when they
 * were answered, so a prune seeks the oldest instead of reading every request a "Retrain all" left;
 * and by target, so it finds whether a request is its target's newest (which stays) with one probe.
 * The first index's expression is RETRAIN_ANSWERED_AT's text: an expression index serves only a
 * query naming that expression (test/pipeline/retrainRequestRetention.test.ts checks both plans).
 */
export const retrainRequestRetentionMigration: Migration = {
  id: 23,
  name: 'retrain-request-retention',
  sql: `
    CREATE INDEX retrain_requests_answered ON retrain_requests ((COALESCE(done_at, expired_at)));
    CREATE INDEX retrain_requests_target ON retrain_requests (target_id, id);
  `,
};
