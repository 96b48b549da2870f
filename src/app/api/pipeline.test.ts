import { MAX_PAGES, readPages } from './pipeline';

/** A list of `total` pages, page n's cursor `c<n>`, recording the cursors asked for. */
function list(total: number) {
  const asked: Array<string | undefined> = [];
  const read = async (cursor: string | undefined) => {
    asked.push(cursor);
    const n = cursor === undefined ? 0 : Number(cursor.slice(1));
    return { rows: [n], next: n + 1 < total ? `c${n + 1}` : null };
  };
  return { asked, read };
}

describe('readPages', () => {
  it('follows each page’s next to the last page', async () => {
    const { asked, read } = list(3);
    const rows: number[] = [];
    await expect(readPages(read, (p) => void rows.push(...p.rows))).resolves.toBe(true);
    expect(asked).toEqual([undefined, 'c1', 'c2']);
    expect(rows).toEqual([0, 1, 2]);
  });

  it('stops as soon as the caller has what it needs', async () => {
    const { asked, read } = list(5);
    await expect(readPages(read, (p) => p.rows[0] === 1)).resolves.toBe(true);
    expect(asked).toEqual([undefined, 'c1']);
  });

  it('reads at most maxPages pages, and says pages were left', async () => {
    const { asked, read } = list(100);
    await expect(readPages(read, () => false)).resolves.toBe(false);
    expect(asked).toHaveLength(MAX_PAGES);
    await expect(readPages(list(2).read, () => false, 2)).resolves.toBe(true);
  });
});
