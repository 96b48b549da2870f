import type { ListAnswer } from './readers';

/**
 * A worker's pages by request (route and raw query), kept only while the database is unchanged: the
 * version is SQLite's `PRAGMA data_version` on the worker's connection, which changes whenever another
 * connection commits ("the integer values returned by two invocations ... will be different if changes
 * were committed to the database by any other connection in the interim", SQLite's pragma docs), and the
 * worker's own connection never writes. A page is kept only if the version was the same before and
 * after it was read (no commit could land between its statements), and served only while the version
 * is still that one, so a kept page is the page a read now would give: it is never stale. The first
 * request after any commit empties the cache. Bounded by the characters of the kept JSON, least
 * recently used first out.
 */
export class PageCache {
  private readonly pages = new Map<string, ListAnswer>();
  private version: number | undefined;
  private length = 0;

  constructor(
    /** The database's version now (a read of `PRAGMA data_version`). */
    private readonly currentVersion: () => number,
    /** The JSON kept at most, in characters. */
    private readonly maxLength: number,
    /** The longest page kept, in characters: longer ones are read each time. */
    private readonly maxPageLength: number
  ) {}

  /** The page for `key`: the kept one while the database is unchanged, else what `read` gives. */
  async read(key: string, read: () => Promise<ListAnswer>): Promise<ListAnswer> {
    const before = this.currentVersion();
    if (before !== this.version) {
      this.pages.clear();
      this.length = 0;
      this.version = before;
    }
    const kept = this.pages.get(key);
    if (kept !== undefined) {
      // Most recently used last: Map keeps insertion order, the eviction takes from the front.
      this.pages.delete(key);
      this.pages.set(key, kept);
      return kept;
    }
    const answer = await read();
    if (this.currentVersion() === before && this.version === before && answer.body.length <= this.maxPageLength) {
      this.keep(key, answer);
    }
    return answer;
  }

  /** Pages kept now. */
  get size(): number {
    return this.pages.size;
  }

  private keep(key: string, answer: ListAnswer): void {
    this.pages.set(key, answer);
    this.length += answer.body.length;
    for (const [oldest, page] of this.pages) {
      if (this.length <= this.maxLength) {
        break;
      }
      this.pages.delete(oldest);
      this.length -= page.body.length;
    }
  }
}
