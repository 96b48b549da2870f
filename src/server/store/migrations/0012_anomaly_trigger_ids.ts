import type { Migration } from '../migrate';

/**
 * One id type end to end (issue 15): an anomaly trigger's id is the pipeline's anomaly id, a JSON
 * number, where earlier builds stored its decimal text. Text that is no anomaly id the pipeline
 * could have issued is left as it is, so a read names that row instead of a guess changing it.
 * Trigger keys (`anomaly:<id>`) and the audit log's trigger ids are text and read the same.
 */
export const anomalyTriggerIdsMigration: Migration = {
  id: 12,
  name: 'anomaly-trigger-ids',
  sql: `
    UPDATE healing_triggers
       SET trigger = json_set(trigger, '$.id', CAST(json_extract(trigger, '$.id') AS INTEGER))
     WHERE source = 'anomaly'
       AND json_type(trigger, '$.id') = 'text'
       AND json_extract(trigger, '$.id') GLOB '[1-9]*'
       AND json_extract(trigger, '$.id') NOT GLOB '*[^0-9]*'
       AND length(json_extract(trigger, '$.id')) <= 15;
  `,
};
