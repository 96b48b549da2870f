import type { TargetSort, TargetsQuery } from '../../contract/pipeline';
import type { SummaryPage } from './store/summaryTable';
import type { TargetModel } from './targetModel';
import {
  compareKeys,
  listedOf,
  matchesFilters,
  sortedAfter,
  sortedCursor,
  sortValue,
  type SortKey,
} from './targetOrder';
import { listedTarget, readingCursor } from './views';
import type { WatchRunner } from './watchRunner';

interface Candidate {
  key: SortKey;
  target: TargetModel;
  runner: WatchRunner;
}

/**
 * A page of the targets this process holds in `q.sort`'s order over all of them, ties by id in the
 * same direction, after the cursor's key (keyset: a target added since neither shifts nor repeats a
 * page). One pass keeps the first `limit + 1` in a sorted array, so a page of a fleet of 100,000 costs
 * a pass and a few comparisons per target, not a sort of the fleet.
 */
export function sortedTargetPage(
  runners: readonly WatchRunner[],
  q: Partial<TargetsQuery> & { sort: TargetSort }
): SummaryPage {
  const { sort, cursor } = q;
  const order = q.order ?? 'desc';
  const limit = q.limit ?? 1000;
  const after = cursor === undefined ? undefined : readingCursor(() => sortedAfter(sort, order, cursor));
  // Ascending: compareKeys as it is; descending: turned round.
  const direction = order === 'asc' ? 1 : -1;
  const first: Candidate[] = [];
  let total = 0;
  for (const runner of runners) {
    if (q.watch !== undefined && runner.name !== q.watch) {
      continue;
    }
    for (const target of runner.targets.values()) {
      const listed = listedOf(target);
      if (!matchesFilters(listed, q)) {
        continue;
      }
      total++;
      const key = { value: sortValue(sort, listed), id: target.id };
      if (after !== undefined && direction * compareKeys(key, after) <= 0) {
        continue;
      }
      if (first.length > limit && direction * compareKeys(key, first[limit].key) >= 0) {
        continue;
      }
      let low = 0;
      let high = first.length;
      while (low < high) {
        const mid = (low + high) >> 1;
        if (direction * compareKeys(first[mid].key, key) < 0) {
          low = mid + 1;
        } else {
          high = mid;
        }
      }
      first.splice(low, 0, { key, target, runner });
      if (first.length > limit + 1) {
        first.pop();
      }
    }
  }
  const page = first.slice(0, limit);
  const last = page.at(-1);
  return {
    targets: page.map((c) => listedTarget(c.target, c.runner, q)),
    next: first.length > limit && last ? sortedCursor(sort, order, last.key) : null,
    total,
  };
}
