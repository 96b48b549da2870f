import { createTable } from '../ddl';
import { RETRAIN_REQUESTS } from '../../pipeline/store/retrainRequestTable';
import type { Migration } from '../migrate';

/** "Retrain now" for targets another replica holds, left for it to run at its next cycle (RETRAIN_REQUESTS says why). */
export const retrainRequestsMigration: Migration = {
  id: 18,
  name: 'retrain-requests',
  sql: createTable('sqlite', RETRAIN_REQUESTS),
};
