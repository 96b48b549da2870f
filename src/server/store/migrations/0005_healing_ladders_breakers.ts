import type { Migration } from '../migrate';

/**
 * Issue 17: an action's place in its policy's escalation ladder (JSON, NULL outside ladders), and
 * the circuit breakers: one row per time a target's breaker opened, at most one open per target.
 */
export const healingLaddersBreakersMigration: Migration = {
  id: 5,
  name: 'healing-ladders-breakers',
  sql: `
    ALTER TABLE healing_actions ADD COLUMN ladder TEXT;

    CREATE TABLE healing_breakers (
      id             INTEGER PRIMARY KEY AUTOINCREMENT,
      target         TEXT NOT NULL,
      action_type    TEXT NOT NULL,
      repeats        INTEGER NOT NULL,
      window_seconds INTEGER NOT NULL,
      action_id      INTEGER NOT NULL,
      opened_at      INTEGER NOT NULL,
      closed_at      INTEGER,
      closed_by      TEXT,
      comment        TEXT
    );
    CREATE UNIQUE INDEX healing_breakers_open ON healing_breakers (target) WHERE closed_at IS NULL;
    CREATE INDEX healing_breakers_closed ON healing_breakers (target, closed_at);
  `,
};
