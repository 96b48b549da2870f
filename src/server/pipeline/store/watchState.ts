import type Database from 'better-sqlite3';

/**
 * Drops what the loop keeps to resume a watch: its targets' streaming state and its resume point,
 * so a watch changed under the same name replays its history with fresh models. Anomalies,
 * predictions and model versions stay: they are the record of what happened.
 */
export function forgetWatchState(db: Database.Database, watch: string): void {
  db.transaction(() => {
    db.prepare('DELETE FROM pipeline_targets WHERE watch = ?').run(watch);
    db.prepare('DELETE FROM pipeline_watches WHERE name = ?').run(watch);
  })();
}
