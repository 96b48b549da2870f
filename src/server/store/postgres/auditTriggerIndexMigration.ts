import type { Migration } from '../migrate';

/** Migration 10: the audit log's trigger id indexed with its id, as SQLite's 0014 (which says why). */
export const auditTriggerIndexMigration: Migration = {
  id: 10,
  name: 'audit trigger index',
  sql: `CREATE INDEX healing_audit_trigger ON healing_audit (trigger_id, id);`,
};
