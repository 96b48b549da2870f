import type { TableDefinition } from './ddl';

// The pipeline's tables that both stores first created with the same columns, as their migrations
// create them (SQLite's 0002 and 0011, PostgreSQL's 3 and 7). Like the migrations, never edited once
// released: a later change to a table is a new migration in each store.

/** (target, start) is unique: replaying the same data after a crash updates, never duplicates. */
export const ANOMALIES: TableDefinition = {
  name: 'anomalies',
  columns: {
    id: 'id',
    target_id: 'text',
    watch: 'text',
    labels: 'json',
    start_ms: 'bigint',
    end_ms: 'bigint',
    peak_score: 'real',
    severity: 'text',
    failure_model: 'text',
    state: 'text',
    signals: 'json',
    direction: 'text',
    reasons: 'json',
    grafana_annotation_id: 'bigint?',
    created_at: 'bigint',
    updated_at: 'bigint',
  },
  unique: { anomalies_target_start: ['target_id', 'start_ms'] },
};

export const PREDICTIONS: TableDefinition = {
  name: 'predictions',
  columns: {
    id: 'id',
    target_id: 'text',
    watch: 'text',
    signal: 'text',
    made_at_ms: 'bigint',
    limit_value: 'real',
    direction: 'text',
    seconds: 'real',
    lower_seconds: 'real?',
    upper_seconds: 'real?',
  },
  unique: { predictions_target_signal_time: ['target_id', 'signal', 'made_at_ms'] },
};

/** Two replicas recording a version of one target at once: one wins, the other takes the next. */
export const MODELS: TableDefinition = {
  name: 'models',
  columns: {
    id: 'id',
    watch: 'text',
    target_id: 'text',
    version: 'int',
    status: 'text',
    error: 'text?',
    reason: 'text',
    trained_at: 'bigint',
    range_start: 'bigint',
    range_end: 'bigint',
    samples: 'int',
    params: 'json',
    threshold: 'real',
    feedback_fp: 'int',
    feedback_confirmed: 'int',
  },
  unique: { models_target_version: ['target_id', 'version'] },
};

/**
 * Each target as the API lists it, kept by the replica that scores it (issue 16): with replicas
 * sharing the watches, every replica lists the whole fleet from here. The primary key is the
 * listing's order and keyset.
 */
export const TARGET_SUMMARIES: TableDefinition = {
  name: 'pipeline_target_summaries',
  columns: {
    watch: 'text',
    id: 'text',
    owner: 'text',
    severity: 'text?',
    anomalous: 'int',
    summary: 'json',
    /** Null until a target's first history is written. */
    scores: 'json?',
    updated_at: 'bigint',
  },
  primaryKey: ['watch', 'id'],
  indexes: { pipeline_target_summaries_id: ['id'] },
};
