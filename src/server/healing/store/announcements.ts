// What the engine tells people outside `notify` actions (approval requests, breaker and storm
// announcements), metered under the notifications' hourly cap: the SQL both stores run inside the
// claims' turn, with PostgreSQL's `$n` placeholders (`sqlitePlaceholders` gives SQLite's).

import { z } from 'zod';

/**
 * A day: the longest repeat interval (limits.notifications). Older rows are pruned, except those a
 * summary still reads: the latest summary, and the held-back requests of actions still awaiting
 * approval, however long their approval timeout (a day's pruning undercounted "N more").
 */
export const ANNOUNCEMENTS_KEPT_MS = 86_400_000;

/**
 * Leaves out a notify action whose send failed: it told no one, so it starts no repeat interval
 * (the next notification about its target may go out at once) and spends none of the hour's budget.
 * Alertmanager's notification log likewise records only the notifications it delivered.
 */
export const NOT_A_FAILED_SEND = `(action_type != 'notify' OR state != 'failed')`;

/**
 * Everything sent to a person since `$1`: notify actions started (executing, or sent) and
 * announcements sent (summaries too); not a send that failed (NOT_A_FAILED_SEND; an announcement
 * that could not be sent is marked held back, UNSENT_ANNOUNCEMENT_SQL).
 */
export const SENT_SINCE_SQL = `SELECT
  (SELECT COUNT(*) FROM healing_actions WHERE started_at >= $1 AND action_type = 'notify' AND ${NOT_A_FAILED_SEND}) +
  (SELECT COUNT(*) FROM healing_announcements WHERE kind IN ('sent', 'summary') AND at >= $1) AS n`;

export const INSERT_ANNOUNCEMENT_SQL = 'INSERT INTO healing_announcements (at, kind, action_id) VALUES ($1, $2, $3)';

/**
 * An announcement that could not be sent told no one, so it gives its share of the cap back: one
 * sent becomes held back (an approval request then counts in the next summary), and a summary is
 * forgotten, so it neither starts the repeat interval nor hides what it counted from the next one.
 */
export const UNSENT_ANNOUNCEMENT_SQL = [
  `UPDATE healing_announcements SET kind = 'held' WHERE id = $1 AND kind = 'sent'`,
  `DELETE FROM healing_announcements WHERE id = $1 AND kind = 'summary'`,
];

/** The latest summary's time; -1 when none is kept. */
const LAST_SUMMARY = `COALESCE((SELECT MAX(at) FROM healing_announcements WHERE kind = 'summary'), -1)`;

export const PRUNE_ANNOUNCEMENTS_SQL = `DELETE FROM healing_announcements WHERE at < $1
  AND NOT (kind = 'summary' AND at >= ${LAST_SUMMARY})
  AND NOT (kind = 'held' AND EXISTS (SELECT 1 FROM healing_actions a
    WHERE a.id = healing_announcements.action_id AND a.state = 'awaiting_approval'))`;

/**
 * Whether a summary is due: an approval request was held back after the last summary and its action
 * still awaits approval, and that summary is older than `$1`, the repeat interval's start. Counts
 * those (none: not due). A held-back storm announcement (about no action), or a request already
 * decided, leaves a summary nothing to say: counted, it kept the summary due until pruned, and each
 * tick took the claims' write lock to find nothing to send.
 */
export const SUMMARY_DUE_SQL = `SELECT COUNT(*) AS n FROM healing_announcements h
  JOIN healing_actions a ON a.id = h.action_id
  WHERE h.kind = 'held' AND a.state = 'awaiting_approval' AND h.at > ${LAST_SUMMARY} AND ${LAST_SUMMARY} < $1`;

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

/** A summary about to go out when one is due (`since`: the repeat interval's start), under the same cap. */
export interface SummaryTake extends Omit<AnnouncementTake, 'actionId'> {
  since: number;
}

/** Whether it may go out, how many went out in the hour before it, and its row (to mark it unsent). */
export const announcementTaken = z.object({ sent: z.boolean(), sentLastHour: z.number(), id: z.number().int() });
export type AnnouncementTaken = z.infer<typeof announcementTaken>;

/** How many held-back actions a summary counts, and its row (to forget it if it cannot be sent). */
export const summaryTaken = z.object({ waiting: z.number().int(), id: z.number().int() });
export type SummaryTaken = z.infer<typeof summaryTaken>;
