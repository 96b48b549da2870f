import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import type { Target, TimeToFailure } from '../../../contract/pipeline';
import { installComboboxLayout } from '../../testUtils/combobox';
import { target } from '../../testUtils/fixtures';
import { testIds } from '../../testIds';
import { TargetsTable, useTargetsView } from './TargetsTable';

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

/** The table in the view the URL names, as the Overview shows it. */
function ViewedTargets({ targets, nowMs }: { targets: Target[]; nowMs: number }) {
  const [view, onView] = useTargetsView();
  return <TargetsTable targets={targets} view={view} onView={onView} nowMs={nowMs} />;
}

function cellOf(id: string, nowMs: number, targets = [target(id)]) {
  render(
    <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <ViewedTargets targets={targets} nowMs={nowMs} />
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
});
