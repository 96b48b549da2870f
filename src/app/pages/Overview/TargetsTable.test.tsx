import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { chooseOption, installComboboxLayout } from '../../testUtils/combobox';
import { setupUser } from '../../testUtils/user';
import { target } from '../../testUtils/fixtures';
import { testIds } from '../../testIds';
import type { TargetListQuery } from '../../api/pipeline';
import { TargetsTable, targetsQuery, useTargetsView } from './TargetsTable';

const user = setupUser();
installComboboxLayout();

const targets = [
  target('cart', { score: 0.95, severity: 'critical', failureModel: 'resource_exhaustion', openAnomalies: 2 }),
  target('search', {
    score: 0.1,
    learning: true,
    learningProgress: 0.25,
    learningSecondsLeft: 5400,
    faultsOnlySecondsLeft: 50 * 3600,
  }),
  target('checkout', {
    score: 0.5,
    severity: 'medium',
    failureModel: 'crash',
    degraded: true,
    faultsOnlySecondsLeft: 30 * 3600,
  }),
];

/** The table in the view the URL names, as the Overview shows it, and a record of each view asked. */
function ViewedTargets({ next, total }: { next?: string | null; total?: number }) {
  const [view, onView] = useTargetsView();
  views.push(targetsQuery(view));
  return <TargetsTable targets={targets} next={next} total={total} view={view} onView={onView} />;
}
let views: TargetListQuery[] = [];

function renderTable(page: { next?: string | null; total?: number } = {}) {
  views = [];
  return render(
    <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <ViewedTargets {...page} />
    </MemoryRouter>
  );
}

const rowOrder = () =>
  Array.from(screen.getByTestId(testIds.overview.targets).querySelectorAll('a[href]'), (a) => a.textContent);
const header = (name: string) => screen.getByRole('button', { name }).closest('th')!;
const severityFilter = () => screen.getByRole('combobox', { name: 'Filter by severity' });

describe('TargetsTable', () => {
  it('shows the score as a meter against the threshold, and marks learning and stale targets', () => {
    renderTable();
    const cart = within(screen.getByTestId(testIds.overview.target('cart')));
    expect(cart.getByRole('meter')).toHaveAccessibleName('Anomaly score 0.95 of threshold 0.80');
    expect(cart.getByText('2')).toBeInTheDocument();
    const search = within(screen.getByTestId(testIds.overview.target('search')));
    expect(search.getByText('Learning 25% · about 2 h left')).toBeInTheDocument();
    const checkout = within(screen.getByTestId(testIds.overview.target('checkout')));
    expect(checkout.getByText('Stale: query failing')).toBeInTheDocument();
    expect(checkout.getByText('crash')).toBeInTheDocument();
  });

  it('says of a learned target whose detector still learns its shapes for how long (LearningBadge)', () => {
    renderTable();
    const checkout = within(screen.getByTestId(testIds.overview.target('checkout')));
    expect(checkout.getByText('Learning shapes · about 30 h left')).toBeInTheDocument();
    // Not on a target that still learns, nor on one that scores fully.
    for (const id of ['search', 'cart']) {
      expect(within(screen.getByTestId(testIds.overview.target(id))).queryByText(/Learning shapes/)).toBeNull();
    }
  });

  it('tells screen readers the sort order on the header, keeps the focus on the button clicked, and asks for that order', async () => {
    renderTable();
    expect(header('Anomaly score')).toHaveAttribute('aria-sort', 'descending');
    expect(header('Severity')).toHaveAttribute('aria-sort', 'none');
    await user.click(screen.getByRole('button', { name: 'Severity' }));
    expect(views.at(-1)).toMatchObject({ sort: 'severity', order: 'desc' });
    // The rows are the backend's, in its order: the table sorts nothing itself.
    expect(rowOrder()).toEqual(['cart', 'search', 'checkout']);
    expect(header('Severity')).toHaveAttribute('aria-sort', 'descending');
    expect(header('Anomaly score')).toHaveAttribute('aria-sort', 'none');
    expect(screen.getByRole('button', { name: 'Severity' })).toHaveFocus();
    await user.click(screen.getByRole('button', { name: 'Severity' }));
    expect(header('Severity')).toHaveAttribute('aria-sort', 'ascending');
    expect(views.at(-1)).toMatchObject({ sort: 'severity', order: 'asc' });
    // The least time to failure first: ascending.
    await user.click(screen.getByRole('button', { name: 'Time to failure' }));
    expect(header('Time to failure')).toHaveAttribute('aria-sort', 'ascending');
    expect(views.at(-1)).toMatchObject({ sort: 'timeToFailure', order: 'asc' });
  });

  it('asks for a severity and counts what the backend says matches', async () => {
    renderTable({ total: 1234 });
    expect(screen.getByText('1234 targets')).toBeInTheDocument();
    expect(severityFilter()).toHaveValue('Any severity');
    await chooseOption(user, severityFilter(), 'medium');
    expect(severityFilter()).toHaveValue('medium');
    expect(views.at(-1)).toMatchObject({ severity: 'medium', cursor: undefined });
    await chooseOption(user, severityFilter(), 'Any severity');
    expect(views.at(-1)).toMatchObject({ severity: undefined });
  });

  it("pages by the backend's cursor: next, previous and first", async () => {
    renderTable({ next: 'page-2' });
    const button = (name: string) => screen.getByRole('button', { name });
    expect(button('First')).toBeDisabled();
    expect(button('Previous')).toBeDisabled();
    await user.click(button('Next'));
    expect(views.at(-1)).toMatchObject({ cursor: 'page-2', sort: 'score', order: 'desc' });
    expect(button('Previous')).toBeEnabled();
    await user.click(button('Previous'));
    expect(views.at(-1)).toMatchObject({ cursor: undefined });
    await user.click(button('Next'));
    await user.click(button('First'));
    expect(views.at(-1)).toMatchObject({ cursor: undefined });
  });
});
