import { PageCache } from './pageCache';
import type { ListAnswer } from './readers';

/** A cache over a version the test moves, and a reader that counts its reads. */
function setUp(maxLength = 1000, maxPageLength = 250) {
  const db = { version: 1 };
  const cache = new PageCache(() => db.version, maxLength, maxPageLength);
  let reads = 0;
  const page =
    (body: string, during?: () => void): (() => Promise<ListAnswer>) =>
    async () => {
      reads++;
      during?.();
      return { status: 200, body };
    };
  return { db, cache, page, reads: () => reads };
}

describe('PageCache', () => {
  it('answers a page asked again from what it kept while the version is unchanged', async () => {
    const { cache, page, reads } = setUp();
    expect(await cache.read('/api/actions?', page('{"a":1}'))).toEqual({ status: 200, body: '{"a":1}' });
    expect(await cache.read('/api/actions?', page('{"a":2}'))).toEqual({ status: 200, body: '{"a":1}' });
    expect(reads()).toBe(1);
    // Another request is another page.
    expect((await cache.read('/api/actions?limit=5', page('{"b":1}'))).body).toBe('{"b":1}');
    expect(reads()).toBe(2);
  });

  it('reads again once another connection committed (the version moved), and forgets every page', async () => {
    const { db, cache, page, reads } = setUp();
    await cache.read('x', page('old x'));
    await cache.read('y', page('old y'));
    db.version = 2;
    expect((await cache.read('x', page('new x'))).body).toBe('new x');
    expect(cache.size).toBe(1);
    expect((await cache.read('y', page('new y'))).body).toBe('new y');
    expect(reads()).toBe(4);
  });

  it('does not keep a page during whose read a commit landed', async () => {
    const { db, cache, page, reads } = setUp();
    // Read at version 1, committed to version 2 before the read ended: the page may mix both.
    expect(
      (
        await cache.read(
          'x',
          page('mixed', () => (db.version = 2))
        )
      ).body
    ).toBe('mixed');
    expect((await cache.read('x', page('at 2'))).body).toBe('at 2');
    expect((await cache.read('x', page('later'))).body).toBe('at 2');
    expect(reads()).toBe(2);
  });

  it('keeps at most maxLength characters, the least recently used out first, and no page longer than maxPageLength', async () => {
    const { cache, page, reads } = setUp(100, 25);
    for (const key of ['a', 'b', 'c']) {
      await cache.read(key, page(key.repeat(25)));
    }
    await cache.read('a', page('not read'));
    await cache.read('d', page('d'.repeat(25)));
    await cache.read('e', page('e'.repeat(25)));
    // 125 characters: b, the least recently used, went.
    expect(cache.size).toBe(4);
    expect((await cache.read('a', page('not read'))).body).toBe('a'.repeat(25));
    expect((await cache.read('b', page('b again'))).body).toBe('b again');
    const before = reads();
    await cache.read('big', page('x'.repeat(26)));
    await cache.read('big', page('x'.repeat(26)));
    expect(reads()).toBe(before + 2);
  });

  it('keeps nothing of a read that failed', async () => {
    const { cache, page } = setUp();
    await expect(
      cache.read('x', async () => {
        throw new Error('healing_actions row 7 is invalid');
      })
    ).rejects.toThrow('row 7');
    expect(cache.size).toBe(0);
    expect((await cache.read('x', page('fine'))).body).toBe('fine');
  });
});
