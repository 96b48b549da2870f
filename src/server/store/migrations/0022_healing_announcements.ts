import type { Migration } from '../migrate';

/**
 * What the engine told people outside `notify` actions (approval requests, breaker and storm
 * announcements): each one sent or held back under the notifications' hourly cap, and each summary
 * of those held back. Counted inside the claim's transaction; rows older than a day (the longest
 * repeat interval) are pruned as new ones are written.
 */
export const healingAnnouncementsMigration: Migration = {
  id: 22,
  name: 'healing-announcements',
  sql: `CREATE TABLE healing_announcements (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  at        INTEGER NOT NULL,
  kind      TEXT NOT NULL CHECK (kind IN ('sent', 'held', 'summary')),
  action_id INTEGER
);
CREATE INDEX healing_announcements_by_kind ON healing_announcements (kind, at);`,
};
