/**
 * When this process first saw each keyed record as it is now, by its own clock: a record read again
 * unchanged keeps its time, a changed one starts again. What another process wrote is judged by how
 * long it has stayed the same here, never by the times written in it (client-go's observedTime).
 */
export class UnchangedSince<K> {
  private readonly seen = new Map<K, { record: string; at: number }>();

  /** When `record` (any text that changes whenever the record does) was first seen under `key`, read at `now`. */
  since(key: K, record: string, now: number): number {
    let seen = this.seen.get(key);
    if (seen?.record !== record) {
      seen = { record, at: now };
      this.seen.set(key, seen);
    }
    return seen.at;
  }

  /** Forgets the keys not among `keys` (gone, or no longer listed). */
  keepOnly(keys: ReadonlySet<K>): void {
    for (const key of this.seen.keys()) {
      if (!keys.has(key)) {
        this.seen.delete(key);
      }
    }
  }
}
