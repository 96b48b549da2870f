import type { Migration } from '../migrate';

/**
 * Migration 17: the stored target listing's sorts, each read a page at a time from its index, as
 * SQLite's 0021 (the same rule: summarySql.ts's sortIndexes() must give this text; a changed sort
 * needs a new migration).
 */
export const targetSummarySortsMigration: Migration = {
  id: 17,
  name: 'target summary sorts',
  sql: `CREATE INDEX pipeline_target_summaries_by_score
           ON pipeline_target_summaries (((summary #>> '{score}')::float8), id COLLATE "C");
CREATE INDEX pipeline_target_summaries_by_severity
           ON pipeline_target_summaries ((CASE severity WHEN 'critical' THEN 3 WHEN 'high' THEN 2 WHEN 'medium' THEN 1 WHEN 'low' THEN 0 ELSE -1 END), id COLLATE "C");
CREATE INDEX pipeline_target_summaries_by_time_to_failure
           ON pipeline_target_summaries ((COALESCE((summary #>> '{timeToFailure,fromMs}')::float8 + (summary #>> '{timeToFailure,seconds}')::float8 * 1000, 8640000000000000)), id COLLATE "C");
CREATE INDEX pipeline_target_summaries_by_open_anomalies
           ON pipeline_target_summaries (((summary #>> '{openAnomalies}')::float8), id COLLATE "C");
CREATE INDEX pipeline_target_summaries_by_target
           ON pipeline_target_summaries (id COLLATE "C");`,
};
