import React from 'react';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import { healingPaths } from '../../api/healing';
import { PluginSettingsContext } from '../../pluginSettings';
import { installFakeBackendSrv, type FakeReply } from '../../testUtils/fakeBackendSrv';
import { testIds } from '../../testIds';
import { Outcomes } from './Outcomes';

const outcome = (policy: string, action: string, medianRecoverySeconds: number | null) => ({
  policy,
  action,
  executed: 4,
  recovered: 3,
  notRecovered: 1,
  failed: 0,
  medianRecoverySeconds,
  prevented: 2,
});

function renderOutcomes(reply: FakeReply) {
  const fetch = installFakeBackendSrv({ [`GET ${healingPaths.outcomes}`]: reply });
  const view = render(
    <PluginSettingsContext.Provider value={{ backendUrl: 'http://backend:3001' }}>
      <Outcomes refreshMs={60_000} />
    </PluginSettingsContext.Provider>
  );
  return { ...view, fetch };
}

describe('Outcomes', () => {
  it('lists per policy and action what the actions achieved, recovery times in seconds or minutes', async () => {
    renderOutcomes({ data: { items: [outcome('cart-ladder', 'restart', 90), outcome('scale-out', 'scale', 600)] } });
    const section = within(await screen.findByTestId(testIds.actions.outcomes));
    const rows = section.getAllByRole('row').slice(1);
    expect(
      rows.map((r) =>
        within(r)
          .getAllByRole('cell')
          .map((c) => c.textContent)
      )
    ).toEqual([
      ['cart-ladder', 'restart', '4', '3', '1', '0', '90 s', '2'],
      ['scale-out', 'scale', '4', '3', '1', '0', '10 min', '2'],
    ]);
  });

  it('shows nothing before any action ran, and says so when the outcomes cannot be loaded', async () => {
    const { unmount, fetch } = renderOutcomes({ data: { items: [] } });
    await waitFor(() => expect(fetch).toHaveBeenCalled());
    // The answer is in: still nothing.
    await act(async () => {});
    expect(screen.queryByTestId(testIds.actions.outcomes)).not.toBeInTheDocument();
    unmount();
    renderOutcomes({ status: 500, data: { message: 'store locked' } });
    expect(await screen.findByText('Cannot load what the actions achieved')).toBeInTheDocument();
    expect(screen.getByText(/store locked/)).toBeInTheDocument();
  });
});
