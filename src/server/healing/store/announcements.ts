// What the engine tells people outside `notify` actions (approval requests, breaker and storm
// announcements), metered under the notifications' hourly cap: the SQL both stores run inside the
// claims' turn, with PostgreSQL's `$n` placeholders (`sqlitePlaceholders` gives SQLite's).

import { z } from 'zod';

/** A day: the longest repeat interval (limits.notifications), beyond which no row is read. */
export const ANNOUNCEMENTS_KEPT_MS = 86_400_000;

/** Everything sent to a person since `$1`: notify actions started and announcements sent (summaries too). */
export const SENT_SINCE_SQL = `SELECT
  (SELECT COUNT(*) FROM healing_actions WHERE started_at >= $1 AND action_type = 'notify') +
  (SELECT COUNT(*) FROM healing_announcements WHERE kind IN ('sent', 'summary') AND at >= $1) AS n`;

export const INSERT_ANNOUNCEMENT_SQL = 'INSERT INTO healing_announcements (at, kind, action_id) VALUES ($1, $2, $3)';

export const PRUNE_ANNOUNCEMENTS_SQL = 'DELETE FROM healing_announcements WHERE at < $1';

/** The latest summary's time; -1 when none is kept. */
const LAST_SUMMARY = `COALESCE((SELECT MAX(at) FROM healing_announcements WHERE kind = 'summary'), -1)`;

/**
 * Whether a summary is due: an announcement was held back after the last summary, and that summary
 * is older than `$1`, the repeat interval's start. Counts those held back since (none: not due).
 */
export const SUMMARY_DUE_SQL = `SELECT COUNT(*) AS n FROM healing_announcements
  WHERE kind = 'held' AND at > ${LAST_SUMMARY} AND ${LAST_SUMMARY} < $1`;

/** Actions still awaiting approval whose request was held back: what a summary counts. */
export const HELD_WAITING_SQL = `SELECT COUNT(DISTINCT h.action_id) AS n FROM healing_announcements h
  JOIN healing_actions a ON a.id = h.action_id
  WHERE h.kind = 'held' AND a.state = 'awaiting_approval'`;

/** An announcement about to go out, under `cap` sends since `hourSince`. */
export interface AnnouncementTake {
  at: number;
  hourSince: number;
  cap: number;
  actionId?: number;
}

/** The SQL with SQLite's `?` for each `$n`: its parameters are then given once per placeholder. */
export const sqlitePlaceholders = (sql: string) => sql.replace(/\$\d+/g, '?');

/** Whether it may go out, and how many went out in the hour before it. */
export const announcementTaken = z.object({ sent: z.boolean(), sentLastHour: z.number() });
export type AnnouncementTaken = z.infer<typeof announcementTaken>;
