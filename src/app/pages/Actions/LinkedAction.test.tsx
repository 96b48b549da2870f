import React from 'react';
import { screen, waitFor, within } from '@testing-library/react';
import { config, locationService } from '@grafana/runtime';
import { healingPaths } from '../../api/healing';
import { renderPageAt } from '../../testUtils/locationSearch';
import { installFakeBackendSrv, requestsTo, type FakeRoute } from '../../testUtils/fakeBackendSrv';
import { pendingAction } from '../../testUtils/fixtures';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';
import { Actions } from './Actions';

const user = setupUser();

/** Step 2 of a ladder, waiting for approval: what the approval notification links to. */
const linked = pendingAction(12, {
  action: { type: 'scale', target: { kind: 'deployment', namespace: 'shop', name: 'cart' }, replicas: 4, ceiling: 20 },
  ladder: {
    policy: 'cart-ladder',
    step: 2,
    steps: 3,
    verifySeconds: 300,
    previous: [
      {
        actionId: 11,
        step: 1,
        type: 'restart',
        state: 'not_recovered',
        outcome: 'the triggering signal did not recover within 300s after the action',
      },
    ],
  },
});
const other = pendingAction(7);

function routes(extra: Record<string, FakeRoute> = {}) {
  return installFakeBackendSrv({
    [`GET ${healingPaths.actions}`]: (req) => {
      const items = req.params?.state === 'awaiting_approval' ? [linked, other] : [];
      return { data: { items, total: items.length } };
    },
    [`GET ${healingPaths.action(12)}`]: () => ({ data: linked }),
    [`POST ${healingPaths.decide(12, 'approve')}`]: () => ({
      data: { ...linked, state: 'approved', decisions: [{ decision: 'approved', user: 'admin', at: 2 }] },
    }),
    [`GET ${healingPaths.breakers}`]: () => ({ data: { items: [] } }),
    [`GET ${healingPaths.outcomes}`]: () => ({ data: { items: [] } }),
    ...extra,
  });
}

const renderPage = () => renderPageAt('/a/failureprophet-healing-app/actions', <Actions />, 'http://backend:3001');

const scrolled = jest.fn();
beforeAll(() => {
  Element.prototype.scrollIntoView = scrolled;
});
beforeEach(() => {
  scrolled.mockClear();
  config.bootData.user = { ...config.bootData.user, orgRole: 'Editor' } as typeof config.bootData.user;
});
afterEach(() => locationService.push('/a/failureprophet-healing-app/actions'));

it('opens on the linked action: first on the page, scrolled to, decided there, with its ladder history', async () => {
  locationService.push('/a/failureprophet-healing-app/actions?action=12');
  const fetch = routes();
  renderPage();
  const section = await screen.findByTestId(testIds.actions.linked);
  const card = within(section);
  expect(await card.findByText('Scale deployment shop/cart to 4 replicas')).toBeInTheDocument();
  expect(card.getByTestId(testIds.actions.ladder(12))).toHaveTextContent(
    'Step 2 of 3 of the ladder of policy cart-ladder · after #11 restart (not recovered: the triggering signal did not recover within 300s after the action)'
  );
  expect(scrolled).toHaveBeenCalledWith({ block: 'start' });
  expect(scrolled.mock.contexts[0]).toBe(section);
  // First on the page, and not repeated in the pending list below.
  const pendingList = await screen.findByTestId(testIds.actions.pending);
  expect(section.compareDocumentPosition(pendingList) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  expect(await within(pendingList).findByTestId(testIds.actions.action(7))).toBeInTheDocument();
  expect(within(pendingList).queryByTestId(testIds.actions.action(12))).not.toBeInTheDocument();

  await user.click(card.getByTestId(testIds.actions.approve(12)));
  await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Approve' }));
  expect(requestsTo(fetch, 'POST', healingPaths.decide(12, 'approve'))).toHaveLength(1);
});

it('says a linked action the backend no longer has is no longer kept, with its message, not as a failure', async () => {
  locationService.push('/a/failureprophet-healing-app/actions?action=12');
  const message = 'there is no action 12: finished actions are kept 30 days, so it may have been pruned';
  routes({ [`GET ${healingPaths.action(12)}`]: () => ({ status: 404, data: { error: 'not_found', message } }) });
  renderPage();
  const section = within(await screen.findByTestId(testIds.actions.linked));
  expect(await section.findByRole('status', { name: 'Action 12 is no longer kept' })).toHaveTextContent(message);
  expect(section.queryByRole('alert')).not.toBeInTheDocument();
  // The rest of the page reads as usual.
  expect(
    within(await screen.findByTestId(testIds.actions.pending)).getByTestId(testIds.actions.action(7))
  ).toBeInTheDocument();
});

it('says a linked action was not found, not that it is no longer kept, when the backend prunes nothing', async () => {
  locationService.push('/a/failureprophet-healing-app/actions?action=12');
  const message = 'there is no action 12';
  routes({ [`GET ${healingPaths.action(12)}`]: () => ({ status: 404, data: { error: 'not_found', message } }) });
  renderPage();
  const section = within(await screen.findByTestId(testIds.actions.linked));
  expect(await section.findByRole('status', { name: 'Action 12 was not found' })).toHaveTextContent(message);
  expect(section.queryByRole('status', { name: 'Action 12 is no longer kept' })).not.toBeInTheDocument();
  expect(section.queryByRole('alert')).not.toBeInTheDocument();
});

it('says a linked action that failed to load cannot be loaded', async () => {
  locationService.push('/a/failureprophet-healing-app/actions?action=12');
  routes({
    [`GET ${healingPaths.action(12)}`]: () => ({
      status: 500,
      data: { error: 'internal', message: 'the store did not answer' },
    }),
  });
  renderPage();
  const section = within(await screen.findByTestId(testIds.actions.linked));
  expect(await section.findByRole('alert', { name: 'Cannot load action 12' })).toHaveTextContent(
    'the store did not answer'
  );
  expect(section.queryByRole('status')).not.toBeInTheDocument();
});

it('without a link, nothing is singled out', async () => {
  routes();
  renderPage();
  expect(await screen.findByTestId(testIds.actions.action(12))).toBeInTheDocument();
  expect(screen.queryByTestId(testIds.actions.linked)).not.toBeInTheDocument();
  expect(scrolled).not.toHaveBeenCalled();
});

it('lists open circuit breakers, and an Editor closes one from the page', async () => {
  let open = true;
  const breaker = {
    id: 1,
    target: 'deployment shop/cart',
    actionType: 'restart',
    repeats: 3,
    windowSeconds: 86_400,
    actionId: 12,
    openedAt: 1_700_000_000_000,
  };
  const fetch = routes({
    [`GET ${healingPaths.breakers}`]: () => ({ data: { items: open ? [breaker] : [] } }),
    [`POST ${healingPaths.closeBreaker}`]: () => {
      open = false;
      return { data: { ...breaker, closedAt: 1_700_000_100_000, closedBy: 'admin' } };
    },
    [`GET ${healingPaths.outcomes}`]: () => ({
      data: {
        items: [
          {
            policy: 'cart-ladder',
            action: 'restart',
            executed: 4,
            recovered: 3,
            notRecovered: 1,
            failed: 0,
            medianRecoverySeconds: 90,
            prevented: 2,
          },
        ],
      },
    }),
  });
  renderPage();
  const breakers = within(await screen.findByTestId(testIds.actions.breakers));
  expect(breakers.getByText('deployment shop/cart: restart ran 3 times')).toBeInTheDocument();
  await user.click(breakers.getByTestId(testIds.actions.closeBreaker('deployment shop/cart')));
  const dialog = within(await screen.findByRole('dialog'));
  await user.type(dialog.getByRole('textbox'), 'fixed the leak');
  await user.click(dialog.getByRole('button', { name: 'Close breaker' }));
  expect(requestsTo(fetch, 'POST', healingPaths.closeBreaker)[0].data).toEqual({
    target: 'deployment shop/cart',
    comment: 'fixed the leak',
  });
  expect(await screen.findByTestId(testIds.actions.outcomes)).toHaveTextContent('cart-ladderrestart431090 s2');
  // Reloaded after the close: none open, so the section goes.
  await waitFor(() => expect(screen.queryByTestId(testIds.actions.breakers)).not.toBeInTheDocument());
});
