import type { Migration } from '../migrate';

/**
 * The stored target listing's sorts (GET /api/targets?sort=), each read a page at a time from its
 * index. An index on an expression serves only a query naming that expression: summarySql.ts's
 * sortIndexes() must give this text (test/pipeline/sortedTargets.test.ts); a sort changed later
 * needs a new migration, never an edit of this one.
 */
export const targetSummarySortsMigration: Migration = {
  id: 21,
  name: 'target-summary-sorts',
  sql: `CREATE INDEX pipeline_target_summaries_by_score
           ON pipeline_target_summaries ((json_extract(summary, '$.score')), id);
CREATE INDEX pipeline_target_summaries_by_severity
           ON pipeline_target_summaries ((CASE severity WHEN 'critical' THEN 3 WHEN 'high' THEN 2 WHEN 'medium' THEN 1 WHEN 'low' THEN 0 ELSE -1 END), id);
CREATE INDEX pipeline_target_summaries_by_time_to_failure
           ON pipeline_target_summaries ((COALESCE(json_extract(summary, '$.timeToFailure.fromMs') + json_extract(summary, '$.timeToFailure.seconds') * 1000, 8640000000000000)), id);
CREATE INDEX pipeline_target_summaries_by_open_anomalies
           ON pipeline_target_summaries ((json_extract(summary, '$.openAnomalies')), id);`,
};
