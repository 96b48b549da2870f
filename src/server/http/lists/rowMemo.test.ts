import { z } from 'zod';
import { jsonColumn } from '../../store/rows';
import { memoizedDecoder } from './rowMemo';

const rowSchema = z.object({
  id: z.number(),
  updated_at: z.number(),
  trigger: jsonColumn(z.object({ n: z.number() })),
});

/** A decoder counting its calls, memoized. */
function setUp(capacity = 10) {
  let decoded = 0;
  const decode = memoizedDecoder((row: unknown) => {
    decoded++;
    return rowSchema.parse(row);
  }, capacity);
  return { decode, decoded: () => decoded };
}

// Rows as better-sqlite3 gives them: a new object, with new strings, on every read.
const row = (id: number, n: number, updatedAt = 1) => ({ id, updated_at: updatedAt, trigger: `{"n":${n}}` });

describe('memoizedDecoder', () => {
  it('decodes a row read again with the same columns once, and gives the same row', () => {
    const { decode, decoded } = setUp();
    const first = decode(row(1, 5));
    expect(decode(row(1, 5))).toBe(first);
    expect(first).toEqual({ id: 1, updated_at: 1, trigger: { n: 5 } });
    expect(decoded()).toBe(1);
  });

  it('decodes again when any column changed, also one its version column does not follow (a trigger rewritten)', () => {
    const { decode, decoded } = setUp();
    decode(row(1, 5));
    expect(decode(row(1, 6)).trigger).toEqual({ n: 6 });
    expect(decode(row(1, 6, 2)).updated_at).toBe(2);
    expect(decode({ ...row(1, 6, 2), extra: null })).toEqual({ id: 1, updated_at: 2, trigger: { n: 6 } });
    expect(decoded()).toBe(4);
  });

  it('keeps nothing of a row that does not fit: it fails each time it is read', () => {
    const { decode, decoded } = setUp();
    const bad = { id: 2, updated_at: 1, trigger: 'not json' };
    expect(() => decode(bad)).toThrow(/not JSON/);
    expect(() => decode({ ...bad })).toThrow(/not JSON/);
    expect(decoded()).toBe(2);
  });

  it('keeps `capacity` rows, the least recently used out first', () => {
    const { decode, decoded } = setUp(2);
    decode(row(1, 1));
    decode(row(2, 2));
    decode(row(1, 1));
    decode(row(3, 3));
    expect(decoded()).toBe(3);
    decode(row(1, 1));
    expect(decoded()).toBe(3);
    decode(row(2, 2));
    expect(decoded()).toBe(4);
  });
});
