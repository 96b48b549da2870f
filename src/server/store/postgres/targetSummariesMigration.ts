import { createTable } from '../ddl';
import type { Migration } from '../migrate';
import { TARGET_SUMMARIES } from '../pipelineTables';

/** Migration 7: each target as the API lists it, kept by the replica that scores it, as SQLite's 0011. */
export const targetSummariesMigration: Migration = {
  id: 7,
  name: 'target summaries',
  sql: createTable('postgres', TARGET_SUMMARIES),
};
