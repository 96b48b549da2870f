import type { Migration } from '../migrate';

/**
 * Per watch: the definition its stored state was learned under, so a watch changed while the backend
 * was stopped (an edited file, or a crash in the middle of a live change) replays its history with
 * fresh models instead of resuming the old ones (NULL for rows written before this migration); and
 * its peer groups' state, checkpointed with the targets so a restart does not re-learn their spread.
 */
export const watchDefinitionsMigration: Migration = {
  id: 4,
  name: 'watch-definitions',
  sql: `
    ALTER TABLE pipeline_watches ADD COLUMN definition TEXT;
    ALTER TABLE pipeline_watches ADD COLUMN peers TEXT;
  `,
};
