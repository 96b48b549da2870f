import type { Migration } from '../migrate';

/**
 * Migration 6: the audit log's kind indexed with its id, so a page of one kind reads it in order
 * (SQLite's 0010 adds the same index). SQLite's per-state and per-kind counts are not kept here:
 * on PostgreSQL every replica's writes would queue on the same few counter rows.
 */
export const healingListsMigration: Migration = {
  id: 6,
  name: 'healing list indexes',
  sql: `CREATE INDEX healing_audit_kind ON healing_audit (kind, id);`,
};
