import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import type { TimeToFailure } from '../../../contract/pipeline';
import { installComboboxLayout } from '../../testUtils/combobox';
import { target } from '../../testUtils/fixtures';
import { testIds } from '../../testIds';
import { TargetsTable } from './TargetsTable';

installComboboxLayout();

// 2026-12-04 14:00:00 UTC; Jest runs with TZ=UTC, so times are shown in UTC.
const MADE = Date.UTC(2026, 11, 4, 14, 0, 0);
const MIN = 60_000;
const ttf = (changes: Partial<TimeToFailure> = {}): TimeToFailure => ({
  signal: 'memory',
  limit: 0.95,
  direction: 'above',
  seconds: 3 * 3600,
  lowerSeconds: 2 * 3600,
  upperSeconds: null,
  fromMs: MADE,
  stepMs: MIN,
  ...changes,
});

function cellOf(id: string, nowMs: number, targets = [target(id)]) {
  render(
    <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <TargetsTable targets={targets} nowMs={nowMs} />
    </MemoryRouter>
  );
  // Columns: target, score, severity, time to failure.
  return within(screen.getByTestId(testIds.overview.target(id))).getAllByRole('cell')[3];
}

describe('the Overview’s time to failure', () => {
  it('counts down from now, with the crossing time in the user’s zone', () => {
    const cell = cellOf('cart', MADE + 2 * MIN, [target('cart', { timeToFailure: ttf() })]);
    expect(cell).toHaveTextContent(/^in 2 h 58 min \(memory\)$/);
    expect(cell.querySelector('[title]')).toHaveAttribute('title', 'memory above 0.95 at 2026-12-04 17:00:00 UTC');
  });

  it('says since when a forecast the backend has not renewed for a few steps holds', () => {
    const cell = cellOf('cart', MADE + 10 * MIN, [target('cart', { timeToFailure: ttf() })]);
    expect(cell).toHaveTextContent('in 2 h 50 min (memory) as of 2026-12-04 14:00:00 UTC');
  });

  it('says a limit crossed already as such, and a passed crossing as due', () => {
    expect(cellOf('a', MADE, [target('a', { timeToFailure: ttf({ seconds: 0, lowerSeconds: 0 }) })])).toHaveTextContent(
      /^already above 0.95 \(memory\)$/
    );
    expect(cellOf('b', MADE + 4 * 3600_000, [target('b', { timeToFailure: ttf() })])).toHaveTextContent(
      /^due \(memory\)/
    );
  });

  it('gives the reason there is none in the title of its dash', () => {
    const cell = cellOf('cart', MADE, [target('cart', { noForecast: 'no significant trend' })]);
    expect(cell).toHaveTextContent('–');
    expect(within(cell).getByTitle('No time to failure: no significant trend')).toBeInTheDocument();
  });

  it('sorts by crossing time, not by seconds counted from different steps', () => {
    const targets = [
      // Made an hour earlier: 2 h from then is 1 h from the other's making, the sooner.
      target('early', { timeToFailure: ttf({ seconds: 2 * 3600, fromMs: MADE - 3600_000 }) }),
      target('late', { timeToFailure: ttf({ seconds: 1.5 * 3600 }) }),
    ];
    render(
      <MemoryRouter
        initialEntries={['/?sort=timeToFailure&order=desc']}
        future={{ v7_startTransition: true, v7_relativeSplatPath: true }}
      >
        <TargetsTable targets={targets} nowMs={MADE} />
      </MemoryRouter>
    );
    const order = Array.from(
      screen.getByTestId(testIds.overview.targets).querySelectorAll('a[href]'),
      (a) => a.textContent
    );
    expect(order).toEqual(['early', 'late']);
  });
});
