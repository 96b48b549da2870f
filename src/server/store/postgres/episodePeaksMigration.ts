import type { Migration } from '../migrate';

/** Migration 5: where each episode peaked (its time, signal, value and expected value), as SQLite's 0009. */
export const episodePeaksMigration: Migration = {
  id: 5,
  name: 'episode peaks',
  sql: `ALTER TABLE anomalies ADD COLUMN peak JSONB;`,
};
