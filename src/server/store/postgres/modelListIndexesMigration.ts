import type { Migration } from '../migrate';

/**
 * Migration 20: the Models page's indexes, as SQLite's 0024 (which says why); targets compared in
 * "C", as the page orders them (modelPage.ts).
 */
export const modelListIndexesMigration: Migration = {
  id: 20,
  name: 'model list indexes',
  sql: `
    CREATE INDEX models_current_target ON models (target_id COLLATE "C", id) INCLUDE (trained_at)
      WHERE status IN ('active', 'retired');
    CREATE INDEX models_current_trained ON models (trained_at, id) INCLUDE (target_id)
      WHERE status IN ('active', 'retired');
  `,
};
