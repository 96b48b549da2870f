import type { Migration } from '../migrate';

/**
 * Where each anomaly episode peaked (issue 13, item 3): when, which signal, its value and what was
 * expected then, as a JSON object. Episodes stored before stay NULL: their peak was never recorded.
 */
export const episodePeaksMigration: Migration = {
  id: 9,
  name: 'episode-peaks',
  sql: `
    ALTER TABLE anomalies ADD COLUMN peak TEXT;
  `,
};
