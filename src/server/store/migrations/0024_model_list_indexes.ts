import type { Migration } from '../migrate';

/**
 * The Models page's listing of each target's current model (GET /api/models?status=current), a page at
 * a time by target or by when it was trained (src/server/pipeline/store/modelPage.ts). The older
 * indexes hold every version a fleet's retrainings left, so a page read on them walks past the
 * superseded ones; these hold one row a target. Partial on CURRENT_MODELS's text (modelFilters.ts):
 * a partial index serves only a query naming its condition. Each carries the other sort's column and
 * the status (SQLite reads a column its WHERE names from the row unless the index holds it), so the
 * page's count and place read an index alone (test/pipeline/modelPages36.test.ts checks the plans).
 */
export const modelListIndexesMigration: Migration = {
  id: 24,
  name: 'model-list-indexes',
  sql: `
    CREATE INDEX models_current_target ON models (target_id, id, trained_at, status) WHERE status IN ('active', 'retired');
    CREATE INDEX models_current_trained ON models (trained_at, id, target_id, status) WHERE status IN ('active', 'retired');
  `,
};
