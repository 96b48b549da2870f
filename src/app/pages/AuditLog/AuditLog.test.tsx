import React from 'react';
import { screen } from '@testing-library/react';
import { setupUser } from '../../testUtils/user';
import { healingPaths } from '../../api/healing';
import { installFakeBackendSrv, requestsTo, type FakeRoute } from '../../testUtils/fakeBackendSrv';
import { locationSearch, renderPageAt } from '../../testUtils/locationSearch';
import { testIds } from '../../testIds';
import { downloadText } from '../../utils/download';
import { AuditLog } from './AuditLog';

const user = setupUser();

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
  it('lists entries, filters by user and pages', async () => {
    const fetch = routes((req) => ({
      data: req.params?.format === 'csv' ? 'id,at\r\n' : { items: entries, total: 120 },
    }));
    renderPage();
    expect(await screen.findByText('approved action 0 “ok”')).toBeInTheDocument();
    const first = requestsTo(fetch, 'GET', healingPaths.audit)[0].params!;
    expect(first).toMatchObject({ limit: 50, offset: 0 });
    expect(first.from).toBeLessThan(first.to);

    await user.type(screen.getByLabelText('User'), 'alice');
    expect(requestsTo(fetch, 'GET', healingPaths.audit).pop()!.params).toMatchObject({ user: 'alice', offset: 0 });
    await user.click(screen.getByRole('button', { name: '2' }));
    expect(requestsTo(fetch, 'GET', healingPaths.audit).pop()!.params).toMatchObject({ offset: 50 });
  });

  it('keeps the filters and the page in the URL, so a link shows the same entries', async () => {
    const fetch = routes(() => ({ data: { items: entries, total: 120 } }));
    renderPage('/audit?from=now-1h&to=now&kind=approved,no_such_kind&user=alice&trigger=fp-7&page=2');
    expect(await screen.findByText('approved action 0 “ok”')).toBeInTheDocument();
    const first = requestsTo(fetch, 'GET', healingPaths.audit)[0].params!;
    expect(first).toMatchObject({ kind: 'approved', user: 'alice', triggerId: 'fp-7', offset: 50 });
    // Both ends read "now" when parsed, a moment apart.
    expect(first.to - first.from - 3_600_000).toBeLessThan(1000);
    expect(screen.getByLabelText('User')).toHaveValue('alice');
    expect(screen.getByLabelText('Trigger id')).toHaveValue('fp-7');

    await user.type(screen.getByLabelText('Action id'), '7');
    expect(requestsTo(fetch, 'GET', healingPaths.audit).pop()!.params).toMatchObject({ actionId: 7, offset: 0 });
    expect(locationSearch()).toEqual({
      from: 'now-1h',
      to: 'now',
      kind: 'approved,no_such_kind',
      user: 'alice',
      trigger: 'fp-7',
      action: '7',
    });
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
    expect(exported.params).toMatchObject({ limit: undefined, offset: undefined });
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
