import type { Migration } from '../migrate';

/**
 * Target states checkpointed in a compact binary form (`checkpoint`) instead of JSON text (`state`,
 * left empty for new rows). Rows written before are read from `state` and rewritten in the new
 * form when the watch first loads them (PipelineRepository.loadCheckpoint).
 */
export const compactCheckpointsMigration: Migration = {
  id: 6,
  name: 'compact-checkpoints',
  sql: `
    ALTER TABLE pipeline_targets ADD COLUMN checkpoint BLOB;
  `,
};
