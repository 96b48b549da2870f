import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { chooseOption, installComboboxLayout } from '../../testUtils/combobox';
import { setupUser } from '../../testUtils/user';
import { target } from '../../testUtils/fixtures';
import { testIds } from '../../testIds';
import { TargetsTable } from './TargetsTable';

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

function renderTable(more?: boolean) {
  return render(
    <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <TargetsTable targets={targets} more={more} />
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

  it('tells screen readers the sort order on the header, and keeps the focus on the button clicked', async () => {
    renderTable();
    expect(header('Anomaly score')).toHaveAttribute('aria-sort', 'descending');
    expect(header('Severity')).toHaveAttribute('aria-sort', 'none');
    await user.click(screen.getByRole('button', { name: 'Severity' }));
    expect(rowOrder()).toEqual(['cart', 'checkout', 'search']);
    expect(header('Severity')).toHaveAttribute('aria-sort', 'descending');
    expect(header('Anomaly score')).toHaveAttribute('aria-sort', 'none');
    expect(screen.getByRole('button', { name: 'Severity' })).toHaveFocus();
    await user.click(screen.getByRole('button', { name: 'Severity' }));
    expect(header('Severity')).toHaveAttribute('aria-sort', 'ascending');
    expect(rowOrder()).toEqual(['search', 'checkout', 'cart']);
  });

  it('filters by severity and counts what is shown', async () => {
    renderTable();
    expect(severityFilter()).toHaveValue('Any severity');
    await chooseOption(user, severityFilter(), 'medium');
    expect(severityFilter()).toHaveValue('medium');
    expect(rowOrder()).toEqual(['checkout']);
    expect(screen.getByText('1 of 3 targets')).toBeInTheDocument();
    await chooseOption(user, severityFilter(), 'Any severity');
    expect(rowOrder()).toEqual(['cart', 'checkout', 'search']);
  });

  it('says when the backend has more targets than it listed, as the Models page does', async () => {
    renderTable(true);
    expect(screen.getByText('3 targets (the backend lists at most 1000; more are not shown)')).toBeInTheDocument();
    await chooseOption(user, severityFilter(), 'medium');
    expect(screen.getByText('1 of 3 targets (the backend lists at most 1000; more are not shown)')).toBeInTheDocument();
  });
});
