import React from 'react';
import { render, screen, waitFor, within } from '@testing-library/react';
import { config } from '@grafana/runtime';
import { closeBreakerBodySchema, type Breaker } from '../../../contract/healing';
import { healingPaths } from '../../api/healing';
import { EDITOR_ONLY_REASON } from '../../permissions';
import { PluginSettingsContext } from '../../pluginSettings';
import { installFakeBackendSrv, requestsTo, type FakeRoute } from '../../testUtils/fakeBackendSrv';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';
import { Breakers } from './Breakers';

const user = setupUser();

const breaker = (id: number, target: string): Breaker => ({
  id,
  target,
  actionType: 'restart',
  repeats: 3,
  windowSeconds: 3600,
  actionId: 40 + id,
  openedAt: 1_700_000_000_000,
});

const setRole = (orgRole: string) => {
  config.bootData.user = { ...config.bootData.user, orgRole } as typeof config.bootData.user;
};

function renderBreakers(routes: Record<string, FakeRoute>) {
  const fetch = installFakeBackendSrv(routes);
  render(
    <PluginSettingsContext.Provider value={{ backendUrl: 'http://backend:3001' }}>
      <Breakers refreshMs={60_000} />
    </PluginSettingsContext.Provider>
  );
  return fetch;
}

describe('Breakers', () => {
  beforeEach(() => setRole('Editor'));

  it('lists the open breakers and closes one with the comment, then loads the list again', async () => {
    let open = [breaker(1, 'deployment shop/cart'), breaker(2, 'deployment shop/checkout')];
    const fetch = renderBreakers({
      [`GET ${healingPaths.breakers}`]: () => ({ data: { items: open } }),
      [`POST ${healingPaths.closeBreaker}`]: (req) => {
        // The body as the backend checks it: a request it would refuse fails here too.
        const { target } = closeBreakerBodySchema.parse(req.data);
        const closed = open.find((b) => b.target === target)!;
        open = open.filter((b) => b !== closed);
        return { data: { ...closed, closedAt: 1_700_000_100_000, closedBy: 'alice' } };
      },
    });
    const section = within(await screen.findByTestId(testIds.actions.breakers));
    expect(section.getByRole('heading', { name: 'Circuit breakers open (2)' })).toBeInTheDocument();
    expect(section.getByText('deployment shop/cart: restart ran 3 times')).toBeInTheDocument();
    expect(
      section.getByText(
        /^Open since 2023-11-14 22:13:20 .*: the fix does not hold, so automatic actions on deployment shop\/cart wait for approval \(action 41 first\)\.$/
      )
    ).toBeInTheDocument();

    // An Editor is given no reason, and the buttons no description.
    expect(section.queryByText(EDITOR_ONLY_REASON)).not.toBeInTheDocument();
    expect(screen.getByTestId(testIds.actions.closeBreaker('deployment shop/cart'))).not.toHaveAccessibleDescription();
    await user.click(screen.getByTestId(testIds.actions.closeBreaker('deployment shop/cart')));
    const dialog = within(await screen.findByRole('dialog'));
    expect(dialog.getByText('Close the circuit breaker on deployment shop/cart?')).toBeInTheDocument();
    await user.type(dialog.getByLabelText(/Comment/), '  fixed the memory leak  ');
    await user.click(dialog.getByRole('button', { name: 'Close breaker' }));

    await waitFor(() => expect(requestsTo(fetch, 'POST', healingPaths.closeBreaker)).toHaveLength(1));
    expect(requestsTo(fetch, 'POST', healingPaths.closeBreaker)[0].data).toEqual({
      target: 'deployment shop/cart',
      comment: 'fixed the memory leak',
    });
    expect(await screen.findByRole('heading', { name: 'Circuit breakers open (1)' })).toBeInTheDocument();
    expect(screen.queryByText('deployment shop/cart: restart ran 3 times')).not.toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('says why a breaker was not closed and keeps it listed', async () => {
    renderBreakers({
      [`GET ${healingPaths.breakers}`]: () => ({ data: { items: [breaker(1, 'deployment shop/cart')] } }),
      [`POST ${healingPaths.closeBreaker}`]: () => ({ status: 409, data: { message: 'breaker already closed' } }),
    });
    await user.click(await screen.findByTestId(testIds.actions.closeBreaker('deployment shop/cart')));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Close breaker' }));
    expect(await screen.findByText('The breaker was not closed')).toBeInTheDocument();
    expect(screen.getByText(/breaker already closed/)).toBeInTheDocument();
    expect(screen.getByText('deployment shop/cart: restart ran 3 times')).toBeInTheDocument();
  });

  it('lets a Viewer see the breakers but not close them, and says why beside each button', async () => {
    setRole('Viewer');
    const fetch = renderBreakers({
      [`GET ${healingPaths.breakers}`]: () => ({
        data: { items: [breaker(1, 'deployment shop/cart'), breaker(2, 'deployment shop/checkout')] },
      }),
    });
    await screen.findByTestId(testIds.actions.breakers);
    const reasons = screen.getAllByText(EDITOR_ONLY_REASON);
    expect(reasons).toHaveLength(2);
    reasons.forEach((r) => expect(r).toBeVisible());
    // No focusable wrapper labelled by the reason.
    expect(screen.queryByLabelText(EDITOR_ONLY_REASON)).not.toBeInTheDocument();
    const buttons = screen.getAllByRole('button', { name: 'Close breaker', description: EDITOR_ONLY_REASON });
    expect(buttons).toHaveLength(2);
    for (const button of buttons) {
      expect(button).toBeDisabled();
      await user.click(button);
      button.focus();
      await user.keyboard('{Enter} ');
    }
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(requestsTo(fetch, 'POST', healingPaths.closeBreaker)).toHaveLength(0);
  });

  it('shows nothing while no breaker is open', async () => {
    const fetch = renderBreakers({ [`GET ${healingPaths.breakers}`]: () => ({ data: { items: [] } }) });
    await waitFor(() => expect(requestsTo(fetch, 'GET', healingPaths.breakers)).toHaveLength(1));
    await waitFor(() => expect(screen.queryByTestId(testIds.actions.breakers)).not.toBeInTheDocument());
    expect(document.body.textContent).toBe('');
  });

  it('warns when the breakers cannot be loaded', async () => {
    renderBreakers({ [`GET ${healingPaths.breakers}`]: () => ({ status: 500, data: { message: 'store locked' } }) });
    expect(await screen.findByText('Cannot load the circuit breakers')).toBeInTheDocument();
    expect(screen.getByText(/store locked/)).toBeInTheDocument();
  });
});
