import type { Migration } from '../migrate';

/**
 * The pages of open actions (the awaiting-approval list) read from a few pages of the file (issue 16).
 * A list worker's page cache is emptied by every commit of another connection, and the page was then
 * read again from ~100 table pages and ~200 trigger pages, one action in fifty being open and spread
 * over the tables. Two partial indexes hold only the open rows, whole: actions in an open state
 * (every column, so the page never reads the table) and open triggers' JSON. The actions list names
 * the same `state IN (...)` term, in this order, so SQLite may use the first (it proves a partial
 * index usable only from the query's own terms); lists.test.ts checks the plans.
 */
export const openActionIndexesMigration: Migration = {
  id: 13,
  name: 'open-action-indexes',
  sql: `
    CREATE INDEX healing_actions_open ON healing_actions (
      state, id, trigger_key, policy, gate, action_type, target, namespace, action, dry_run, decisions,
      reason, progress, result, verification, created_at, updated_at, expires_at, started_at,
      finished_at, ladder
    ) WHERE state IN ('proposed', 'awaiting_approval', 'approved', 'executing');
    CREATE INDEX healing_triggers_open ON healing_triggers (key, trigger) WHERE closed_at IS NULL;
  `,
};
