import { openSqliteDatabase } from '../../store/sqlite';
import { target } from '../../../app/testUtils/fixtures';
import type { Target } from '../../../contract/pipeline';
import { readSummary, summariesSql } from './summaryTable';

// The listing every replica serves reads a page on the primary key, whatever its depth and filters:
// no scan of the table and no sort (SQLite's plan; PostgreSQL gets the same key).
describe('the stored target listing', () => {
  it.each([
    ['the first page', undefined, {}],
    ['a deep page', 'w{job="j5000"}', {}],
    ['a filtered deep page with history', 'w{job="j5000"}', { severity: 'high', anomalous: 'true', history: 'true' }],
  ] as const)('reads %s on the primary key, unsorted', (_name, afterId, filters) => {
    const store = openSqliteDatabase(':memory:', () => 0);
    try {
      const { sql, params } = summariesSql('sqlite', 'w', filters, afterId, 101);
      const plan = store.db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...params)
        .map((r) => (r as { detail: string }).detail);
      expect(plan).toEqual([
        expect.stringMatching(
          afterId === undefined
            ? /^SEARCH pipeline_target_summaries USING INDEX sqlite_autoindex_pipeline_target_summaries_1 \(watch=\?\)$/
            : /^SEARCH pipeline_target_summaries USING INDEX sqlite_autoindex_pipeline_target_summaries_1 \(watch=\? AND id>\?\)$/
        ),
      ]);
    } finally {
      store.db.close();
    }
  });
});

describe('a stored target summary read back', () => {
  it('says how long only faults alarm, and 0 for a row written before builds kept it', () => {
    const row = (s: object) => ({ summary: JSON.stringify(s), owner: 'replica-0' });
    const summary: Partial<Target> = target('cart', { faultsOnlySecondsLeft: 7200 });
    expect(readSummary(row(summary)).faultsOnlySecondsLeft).toBe(7200);
    expect(() => readSummary(row({ ...summary, faultsOnlySecondsLeft: -1 }))).toThrow(/faultsOnlySecondsLeft/);
    delete summary.faultsOnlySecondsLeft;
    expect(readSummary(row(summary)).faultsOnlySecondsLeft).toBe(0);
  });
});
