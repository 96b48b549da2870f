/**
 * Resolves after the event loop has had a turn (I/O callbacks, timers, HTTP requests). A loop whose
 * awaits all settle at once (SQLite answers synchronously) never gives that turn otherwise, and a long
 * one holds up `/healthz` and every request behind it.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
