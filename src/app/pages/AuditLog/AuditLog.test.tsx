import React from 'react';
import { screen } from '@testing-library/react';
import { setupUser } from '../../testUtils/user';
import { healingPaths } from '../../api/healing';
import { chooseOption, installComboboxLayout } from '../../testUtils/combobox';
import { installFakeBackendSrv, requestsTo, type FakeRoute } from '../../testUtils/fakeBackendSrv';
import { locationSearch, renderPageAt } from '../../testUtils/locationSearch';
import { testIds } from '../../testIds';
import { downloadText } from '../../utils/download';
import { AuditLog } from './AuditLog';
import { AUDIT_KIND_MEANINGS } from '../../../contract/healing';

const user = setupUser();
installComboboxLayout();

jest.mock('../../utils/download', () => ({ downloadText: jest.fn() }));

const entries = Array.from({ length: 50 }, (_, i) => ({
  id: 100 - i,
  at: 1_700_000_000_000 + i,
  kind: 'approved',
  actionId: 7,
  user: 'alice',
  comment: 'ok',
  message: `approved action ${i}`,
}));

function routes(list: FakeRoute) {
  return installFakeBackendSrv({ [`GET ${healingPaths.audit}`]: list });
}

const renderPage = (url = '/audit') => renderPageAt(url, <AuditLog />);

describe('AuditLog', () => {
  it('lists entries, filters by user and pages by the cursors the backend gives', async () => {
    const fetch = routes((req) => ({
      data:
        req.params?.format === 'csv'
          ? 'id,at\r\n'
          : { items: entries, total: 120, next: 'o51', previous: req.params?.cursor ? 'n100' : null },
    }));
    renderPage();
    expect(await screen.findByText('approved action 0 “ok”')).toBeInTheDocument();
    expect(screen.getByText('120 entries')).toBeInTheDocument();
    const first = requestsTo(fetch, 'GET', healingPaths.audit)[0].params!;
    expect(first).toMatchObject({ limit: 50, cursor: undefined });
    expect(first).not.toHaveProperty('offset');
    expect(first.from).toBeLessThan(first.to);
    expect(screen.getByTestId(testIds.pager.newer)).toBeDisabled();

    await user.click(screen.getByTestId(testIds.pager.older));
    expect(requestsTo(fetch, 'GET', healingPaths.audit).pop()!.params).toMatchObject({ cursor: 'o51' });
    expect(locationSearch()).toEqual({ cursor: 'o51' });
    await user.click(await screen.findByTestId(testIds.pager.newer));
    expect(requestsTo(fetch, 'GET', healingPaths.audit).pop()!.params).toMatchObject({ cursor: 'n100' });
    // A new filter shows its newest page.
    await user.type(screen.getByLabelText('User'), 'alice');
    expect(requestsTo(fetch, 'GET', healingPaths.audit).pop()!.params).toMatchObject({
      user: 'alice',
      cursor: undefined,
    });
    expect(locationSearch()).toEqual({ user: 'alice' });
  });

  it("filters by a target, kept in the URL: the target page's link opens its entries", async () => {
    const target = 'latency{deployment="cart",namespace="shop"}';
    const fetch = routes(() => ({ data: { items: entries.slice(0, 3), total: 3, next: null, previous: null } }));
    renderPage(`/audit?${new URLSearchParams({ target })}`);
    await screen.findByText('approved action 0 “ok”');
    expect(requestsTo(fetch, 'GET', healingPaths.audit)[0].params).toMatchObject({ target });
    const field = screen.getByRole('textbox', { name: 'Filter the log by target' });
    expect(field).toHaveValue(target);
    expect(screen.getByText('3 entries')).toBeInTheDocument();
    // One page: no pager.
    expect(screen.queryByTestId(testIds.pager.older)).toBeNull();
    await user.clear(field);
    expect(requestsTo(fetch, 'GET', healingPaths.audit).pop()!.params).toMatchObject({ target: undefined });
    expect(locationSearch()).toEqual({});
  });

  it('keeps the filters and the page in the URL, so a link shows the same entries', async () => {
    const fetch = routes(() => ({ data: { items: entries, total: 120 } }));
    renderPage('/audit?from=now-1h&to=now&kind=approved,no_such_kind&user=alice&trigger=fp-7&cursor=o51');
    expect(await screen.findByText('approved action 0 “ok”')).toBeInTheDocument();
    const first = requestsTo(fetch, 'GET', healingPaths.audit)[0].params!;
    expect(first).toMatchObject({ kind: 'approved', user: 'alice', triggerId: 'fp-7', cursor: 'o51' });
    // Both ends read "now" when parsed, a moment apart.
    expect(first.to - first.from - 3_600_000).toBeLessThan(1000);
    expect(screen.getByLabelText('User')).toHaveValue('alice');
    expect(screen.getByLabelText('Trigger id')).toHaveValue('fp-7');

    await user.type(screen.getByLabelText('Action id'), '7');
    expect(requestsTo(fetch, 'GET', healingPaths.audit).pop()!.params).toMatchObject({
      actionId: 7,
      cursor: undefined,
    });
    expect(locationSearch()).toEqual({
      from: 'now-1h',
      to: 'now',
      kind: 'approved,no_such_kind',
      user: 'alice',
      trigger: 'fp-7',
      action: '7',
    });
  });

  it('says what each event means, in the list and in the filter', async () => {
    routes(() => ({
      data: { items: [{ ...entries[0], kind: 'breaker_opened' }], total: 1, next: null, previous: null },
    }));
    renderPage();
    const cell = await screen.findByText('breaker opened');
    expect(cell).toHaveAttribute('title', AUDIT_KIND_MEANINGS.breaker_opened);
    await user.click(screen.getByRole('combobox', { name: 'Outcome and event' }));
    expect(await screen.findByText(AUDIT_KIND_MEANINGS.namespaces_paused)).toBeInTheDocument();
    expect(screen.getByText(AUDIT_KIND_MEANINGS.dry_run)).toBeInTheDocument();
  });

  it('filters by the outcomes and events chosen, kept in the URL, and from their first page', async () => {
    const fetch = routes(() => ({ data: { items: entries, total: 120, next: 'o51', previous: null } }));
    renderPage('/audit?cursor=o51');
    await screen.findByText('approved action 0 “ok”');
    const kinds = screen.getByRole('combobox', { name: 'Outcome and event' });
    expect(kinds).toHaveAttribute('placeholder', 'Any');
    await chooseOption(user, kinds, 'rejected');
    expect(requestsTo(fetch, 'GET', healingPaths.audit).pop()!.params).toMatchObject({
      kind: 'rejected',
      cursor: undefined,
    });
    await user.keyboard('{Escape}');
    await chooseOption(user, kinds, 'dry run');
    expect(requestsTo(fetch, 'GET', healingPaths.audit).pop()!.params).toMatchObject({ kind: 'rejected,dry_run' });
    expect(locationSearch()).toEqual({ kind: 'rejected,dry_run' });
  });

  it('shows the last 7 days for a range it cannot read', async () => {
    const fetch = routes(() => ({ data: { items: entries, total: 50 } }));
    renderPage('/audit?from=yesterday&to=now');
    await screen.findByText('approved action 0 “ok”');
    const first = requestsTo(fetch, 'GET', healingPaths.audit)[0].params!;
    expect(first.to - first.from - 7 * 86_400_000).toBeLessThan(1000);
  });

  it('exports every matching entry as CSV', async () => {
    const fetch = routes((req) => ({
      data: req.params?.format === 'csv' ? 'id,at\r\n"1","x"\r\n' : { items: entries, total: 50 },
    }));
    renderPage();
    await user.click(await screen.findByTestId(testIds.audit.exportCsv));
    const exported = requestsTo(fetch, 'GET', healingPaths.audit).find((r) => r.params?.format === 'csv')!;
    expect(exported.params).toMatchObject({ limit: undefined, cursor: undefined });
    expect(downloadText).toHaveBeenCalledWith('id,at\r\n"1","x"\r\n', 'failureprophet-audit.csv', 'text/csv');
  });

  it('says when nothing matches, and why it cannot load', async () => {
    routes(() => ({ data: { items: [], total: 0 } }));
    const { unmount } = renderPage();
    expect(await screen.findByTestId(testIds.audit.empty)).toBeInTheDocument();
    unmount();
    routes(() => ({ status: 401, data: { message: 'a valid bearer token is required' } }));
    renderPage();
    expect(await screen.findByText(/refused the token/)).toBeInTheDocument();
  });
});
