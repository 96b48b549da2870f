import type { Migration } from '../migrate';

/** Migration 18: what the engine told people outside `notify` actions, as SQLite's 0022. */
export const announcementsMigration: Migration = {
  id: 18,
  name: 'healing announcements',
  sql: `CREATE TABLE healing_announcements (
  id        INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at        BIGINT NOT NULL,
  kind      TEXT NOT NULL CHECK (kind IN ('sent', 'held', 'summary')),
  action_id INTEGER
);
CREATE INDEX healing_announcements_by_kind ON healing_announcements (kind, at);`,
};
