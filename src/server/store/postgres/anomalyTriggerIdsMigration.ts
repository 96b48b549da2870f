import type { Migration } from '../migrate';

/** Migration 8: an anomaly trigger's id as a JSON number, as SQLite's 0012 (which says why). */
export const anomalyTriggerIdsMigration: Migration = {
  id: 8,
  name: 'anomaly trigger ids',
  sql: `
    UPDATE healing_triggers
       SET trigger = jsonb_set(trigger, '{id}', to_jsonb((trigger->>'id')::bigint))
     WHERE source = 'anomaly'
       AND jsonb_typeof(trigger->'id') = 'string'
       AND trigger->>'id' ~ '^[1-9][0-9]{0,14}$';
  `,
};
