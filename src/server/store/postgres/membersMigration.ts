import type { Migration } from '../migrate';

/**
 * Migration 4: the replicas that share the watches without Kubernetes (coordination/pgMembers.ts).
 * One row per live replica; expiry is the database's time, so replicas' clocks need not agree.
 */
export const membersMigration: Migration = {
  id: 4,
  name: 'replica members',
  sql: `
    CREATE TABLE coordination_members (
      member_group TEXT NOT NULL,
      identity     TEXT NOT NULL,
      renewed_at   TIMESTAMPTZ NOT NULL,
      expires_at   TIMESTAMPTZ NOT NULL,
      PRIMARY KEY (member_group, identity)
    );
  `,
};
