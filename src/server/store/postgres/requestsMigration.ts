import type { Migration } from '../migrate';

/**
 * Migration 9: one row per write that must happen once however often it is sent (an idempotency
 * key). When a connection dies after COMMIT was sent, whether it committed is unknown; a write
 * run again under the same key finds its row and returns the first run's result instead of
 * writing a second time. Rows are only needed while a retry may come: old ones are pruned.
 */
export const requestsMigration: Migration = {
  id: 9,
  name: 'write requests',
  sql: `
    CREATE TABLE store_requests (
      key    UUID PRIMARY KEY,
      at     BIGINT NOT NULL,
      result JSONB
    );
    CREATE INDEX store_requests_at ON store_requests (at);
  `,
};
