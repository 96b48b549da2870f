import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { FAR_LIMIT, type Target } from '../../../contract/pipeline';
import { installComboboxLayout } from '../../testUtils/combobox';
import { target } from '../../testUtils/fixtures';
import { testIds } from '../../testIds';
import { TargetsTable, useTargetsView } from '../Overview/TargetsTable';
import { ScoredSummary } from './TargetDetail';

installComboboxLayout();

// A limit far beyond every value seen is told with its numbers wherever the reason for no time to
// failure is: the target's detail and the Overview's time to failure.

const NOW = Date.UTC(2026, 11, 4, 14, 0, 0);
const farLimited = target('cart', {
  object: null,
  noForecast: FAR_LIMIT,
  farLimit: { signal: 'memory', limit: 90, direction: 'above', seen: 0.98123 },
});
const WORDS = 'memory: limit 90 is far above every value seen (max 0.981): check its unit';

function OverviewTable({ targets }: { targets: Target[] }) {
  const [view, onView] = useTargetsView();
  return <TargetsTable targets={targets} view={view} onView={onView} nowMs={NOW} />;
}

describe('a limit far beyond every value seen', () => {
  it('is told with its numbers in the target’s summary', () => {
    render(<ScoredSummary target={farLimited} nowMs={NOW} />);
    expect(screen.getByText(/score/)).toHaveTextContent(`· no time to failure: ${WORDS}`);
  });

  it('is told with its numbers in the title of the Overview’s dash', () => {
    render(
      <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
        <OverviewTable targets={[farLimited]} />
      </MemoryRouter>
    );
    const cell = within(screen.getByTestId(testIds.overview.target('cart'))).getAllByRole('cell')[3];
    expect(within(cell).getByTitle(`No time to failure: ${WORDS}`)).toHaveTextContent('–');
  });

  it('is told in words without its numbers from a backend that does not send them', () => {
    render(<ScoredSummary target={target('cart', { object: null, noForecast: FAR_LIMIT })} nowMs={NOW} />);
    expect(screen.getByText(/score/)).toHaveTextContent(
      '· no time to failure: limit far beyond every value seen: check its unit'
    );
  });
});
