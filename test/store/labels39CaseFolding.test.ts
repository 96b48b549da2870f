import { matchesFilters } from '../../src/server/pipeline/targetOrder';
import { cycleWrite, modelVersion, T0, targetSummary } from '../harness/anomalyRecords';
import { storesAt } from './storesAt';

// The lists' `q` finds its text in a target id in any case, as the listing in memory does
// (matchesFilters: JavaScript's toLowerCase). SQLite's own lower() folds ASCII only, so "été" missed
// "ÉTÉ"; PostgreSQL's folded one character at a time under the test cluster's C.UTF-8 (as under the
// compose stack's en_US.UTF-8), so "οδος" missed "ΟΔΟΣ" (its final sigma) and "İstanbul" "İSTANBUL".
// Both stores now fold as memory does, in the models list and in the shared target listing.

const stores = storesAt(T0, 'labels39folding');

const IDS = ['w{ville="ÉTÉ"}', 'w{ville="été"}', 'w{rue="ΟΔΟΣ"}', 'w{ville="İSTANBUL"}', 'w{ville="Paris"}'];

/** Each query, and the ids it finds, as memory's listing finds them. */
const FOUND: Array<[string, string[]]> = [
  ['été', ['w{ville="ÉTÉ"}', 'w{ville="été"}']],
  ['ÉTÉ', ['w{ville="ÉTÉ"}', 'w{ville="été"}']],
  ['οδος', ['w{rue="ΟΔΟΣ"}']],
  ['Οδός', []],
  ['İstanbul', ['w{ville="İSTANBUL"}']],
  ['PARIS', ['w{ville="Paris"}']],
];

const summary = (id: string) => targetSummary({ id, watch: 'w' });

const inMemory = (q: string) => IDS.filter((id) => matchesFilters(summary(id).target, { q }));

describe.each(Object.keys(stores.byKind))("a list's filter in any case, non-ASCII too, on %s", (kind) => {
  it('finds in the models what memory finds, in the list and in its pages', async () => {
    const { pipeline } = await stores.byKind[kind]();
    for (const id of IDS) {
      await pipeline.addModel(modelVersion(id));
    }
    for (const [q, found] of FOUND) {
      expect(inMemory(q)).toEqual(found);
      const listed = (await pipeline.models({ q, limit: 50 })).map((m) => m.target).sort();
      const page = await pipeline.modelPage({ q, status: 'current', sort: 'target', limit: 50 });
      expect({ q, listed, paged: page.models.map((m) => m.target), total: page.total }).toEqual({
        q,
        listed: [...found].sort(),
        paged: [...found].sort(),
        total: found.length,
      });
    }
  });

  it('finds in the shared target listing what memory finds, sorted or not', async () => {
    const { pipeline } = await stores.byKind[kind]();
    await pipeline.commitCycle(cycleWrite({ summaries: IDS.map(summary) }));
    for (const [q, found] of FOUND) {
      const unsorted = await pipeline.targetSummaryPage({ watches: ['w'], q, limit: 50 });
      const sorted = await pipeline.targetSummaryPage({ watches: ['w'], q, sort: 'target', order: 'asc', limit: 50 });
      expect({
        q,
        unsorted: unsorted.targets.map((t) => t.id).sort(),
        sorted: sorted.targets.map((t) => t.id),
      }).toEqual({ q, unsorted: [...found].sort(), sorted: [...found].sort() });
      expect([unsorted.total, sorted.total]).toEqual([found.length, found.length]);
    }
  });
});
