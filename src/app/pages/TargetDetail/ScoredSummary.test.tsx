import React from 'react';
import { render, screen } from '@testing-library/react';
import { target } from '../../testUtils/fixtures';
import { ScoredSummary } from './TargetDetail';

const MADE = Date.UTC(2026, 11, 4, 14, 0, 0);
const MIN = 60_000;
const ttf = {
  signal: 'memory',
  limit: 0.95,
  direction: 'above' as const,
  seconds: 3 * 3600,
  lowerSeconds: 2 * 3600,
  upperSeconds: null,
  fromMs: MADE,
  stepMs: MIN,
};

const summary = (changes: Parameters<typeof target>[1], nowMs: number) => {
  render(<ScoredSummary target={target('cart', { ...changes, object: null })} nowMs={nowMs} />);
  return screen.getByText(/score/);
};

describe('TargetDetail’s summary of a time to failure', () => {
  it('counts down from now and gives the crossing time in the user’s zone', () => {
    expect(summary({ timeToFailure: ttf }, MADE + 30 * MIN)).toHaveTextContent(
      'score 0.20 (threshold 0.80) · memory reaches 0.95 in 2 h 30 min (2026-12-04 17:00:00 UTC)'
    );
  });

  it('says as of when the forecast is out of date', () => {
    expect(summary({ timeToFailure: ttf }, MADE + 3600_000)).toHaveTextContent(
      'memory reaches 0.95 in 2 h (2026-12-04 17:00:00 UTC), as of 2026-12-04 14:00:00 UTC'
    );
  });

  it('says a crossed limit is crossed', () => {
    expect(summary({ timeToFailure: { ...ttf, seconds: 0, lowerSeconds: 0 } }, MADE)).toHaveTextContent(
      '· memory already above 0.95'
    );
  });

  it('says why there is no forecast', () => {
    expect(summary({ noForecast: 'learning' }, MADE)).toHaveTextContent('· no time to failure: learning');
  });
});
