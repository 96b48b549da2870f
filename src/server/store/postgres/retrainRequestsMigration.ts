import { createTable } from '../ddl';
import { RETRAIN_REQUESTS } from '../../pipeline/store/retrainRequestTable';
import type { Migration } from '../migrate';

/** Migration 14: retrain requests left for the replica that holds their targets, as SQLite's 0018. */
export const retrainRequestsMigration: Migration = {
  id: 14,
  name: 'retrain requests',
  sql: createTable('postgres', RETRAIN_REQUESTS),
};
