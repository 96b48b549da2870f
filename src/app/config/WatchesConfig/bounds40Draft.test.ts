import { toDraft, validateWatches } from './draft';

// The Watches tab shows a number past its bound on its field, with the PUT's words, before Save is pressed.

it('names the bound of each number a watch is written with', () => {
  const draft = toDraft({
    name: 'w',
    queries: { up: 'up' },
    step: '25h',
    lag: '1d',
    history: '2y',
    probation: 1_000_001,
    closeAfter: 100_000,
  });
  expect(validateWatches([draft])).toEqual([
    {
      step: 'must be at most 1d (86400000 ms)',
      history: 'must be at most 1y (31536000000 ms)',
      probation: 'must be at most 1000000 steps',
    },
  ]);
});
