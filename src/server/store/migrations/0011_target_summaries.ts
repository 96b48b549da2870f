import { createTable } from '../ddl';
import type { Migration } from '../migrate';
import { TARGET_SUMMARIES } from '../pipelineTables';

/** Each target as the API lists it, kept by the replica that scores it (TARGET_SUMMARIES says why). */
export const targetSummariesMigration: Migration = {
  id: 11,
  name: 'target-summaries',
  sql: createTable('sqlite', TARGET_SUMMARIES),
};
