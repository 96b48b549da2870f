import React from 'react';
import { render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import type { Action } from '../../../contract/healing';
import { healingPaths } from '../../api/healing';
import { PluginSettingsContext } from '../../pluginSettings';
import { installFakeBackendSrv, requestsTo, type FakeReply } from '../../testUtils/fakeBackendSrv';
import { pendingAction } from '../../testUtils/fixtures';
import { testIds } from '../../testIds';
import { TargetActions } from './TargetActions';

function renderActions(reply: FakeReply) {
  const fetch = installFakeBackendSrv({ [`GET ${healingPaths.actions}`]: reply });
  render(
    <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <PluginSettingsContext.Provider value={{ backendUrl: 'http://backend:3001' }}>
        <TargetActions targetId='latency{deployment="cart"}' />
      </PluginSettingsContext.Provider>
    </MemoryRouter>
  );
  return fetch;
}

const verified: Action = {
  ...pendingAction(21),
  state: 'verified',
  verification: { recovered: true, message: 'score back under 0.5', at: 1_700_000_400_000 },
};
const blocked: Action = {
  ...pendingAction(22, {
    action: { type: 'restart', target: { kind: 'deployment', namespace: 'shop', name: 'cart' } },
  }),
  state: 'blocked',
  reason: { kind: 'storm', message: 'storm mode' },
};

describe('TargetActions', () => {
  it("asks only for this target's actions and lists them, linking to all of them on the Actions page", async () => {
    const fetch = renderActions({ data: { items: [verified, blocked], total: 35 } });
    const first = await screen.findByTestId(testIds.targetActions.action(21));
    expect(requestsTo(fetch, 'GET', healingPaths.actions)[0].params).toMatchObject({
      triggerTarget: 'latency{deployment="cart"}',
      limit: 20,
    });
    expect(first).toHaveTextContent('Scale deployment shop/cart to 4 replicas');
    expect(first).toHaveTextContent('critical-scale-out');
    expect(first).toHaveTextContent('Verified: recovered');
    expect(first).toHaveTextContent('Recovered: score back under 0.5');
    const second = screen.getByTestId(testIds.targetActions.action(22));
    expect(second).toHaveTextContent('Rolling restart of deployment shop/cart');
    expect(second).toHaveTextContent('Blocked storm mode');
    expect(second).toHaveTextContent('–');
    expect(screen.getByRole('link', { name: 'All 35 on the Actions page' })).toHaveAttribute(
      'href',
      '/a/failureprophet-healing-app/actions'
    );
    expect(screen.queryByTestId(testIds.targetActions.empty)).not.toBeInTheDocument();
  });

  it('says when no action was taken, and links to the Actions page without a count', async () => {
    renderActions({ data: { items: [], total: 0 } });
    const section = within(screen.getByTestId(testIds.targetActions.section));
    expect(await section.findByTestId(testIds.targetActions.empty)).toHaveTextContent(
      'No actions taken for this target.'
    );
    expect(section.getByRole('link', { name: 'Actions page' })).toBeInTheDocument();
    expect(section.queryByRole('table')).not.toBeInTheDocument();
  });

  it('says when the actions cannot be loaded', async () => {
    renderActions({ status: 502, data: { message: 'backend unreachable' } });
    expect(await screen.findByText('Cannot load the actions')).toBeInTheDocument();
    expect(screen.getByText(/backend unreachable/)).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByText('Loading the actions…')).not.toBeInTheDocument());
    expect(screen.queryByTestId(testIds.targetActions.empty)).not.toBeInTheDocument();
  });
});
