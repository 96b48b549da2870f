import React from 'react';
import { act, screen, within } from '@testing-library/react';
import { useNavigate } from 'react-router-dom';
import { setupUser } from '../../testUtils/user';
import { config } from '@grafana/runtime';
import { healingPaths } from '../../api/healing';
import { EDITOR_ONLY_REASON } from '../../permissions';
import { installFakeBackendSrv, requestsTo, type FakeRoute } from '../../testUtils/fakeBackendSrv';
import { pendingAction } from '../../testUtils/fixtures';
import { locationSearch, renderPageAt } from '../../testUtils/locationSearch';
import { testIds } from '../../testIds';
import { Actions, ACTIONS_REFRESH_MS, PENDING_PAGE_SIZE } from './Actions';

const user = setupUser();

const pending = pendingAction(7);
const done = pendingAction(3, {
  state: 'verified',
  decisions: [{ decision: 'approved', user: 'alice', comment: 'go', at: 1 }],
  verification: { recovered: true, message: 'latency back under 2s within 4 minutes', at: 2 },
});

function routes(list: FakeRoute, decide?: FakeRoute) {
  return installFakeBackendSrv({
    [`GET ${healingPaths.actions}`]: list,
    [`POST ${healingPaths.decide(7, 'approve')}`]:
      decide ??
      ((req) => ({
        data: {
          ...pending,
          state: 'approved',
          decisions: [{ decision: 'approved', user: 'admin', comment: req.data.comment, at: 2 }],
        },
      })),
    [`POST ${healingPaths.decide(7, 'reject')}`]: decide ?? (() => ({ data: { ...pending, state: 'rejected' } })),
  });
}

/** As the backend: `state` is a comma-separated list of the states wanted (all when absent). */
const byState: FakeRoute = (req) => {
  const wanted = req.params?.state ? String(req.params.state).split(',') : undefined;
  const items = [pending, done].filter((a) => !wanted || wanted.includes(a.state));
  return { data: { items, total: items.length } };
};

/** The browser's Back button, beside the page. */
function Back() {
  const navigate = useNavigate();
  return <button onClick={() => navigate(-1)}>Back</button>;
}

/** The page at `url` (in a router, as Grafana mounts it), with the address bar and Back beside it. */
function renderPage(
  backendUrl: string | undefined = 'http://backend:3001',
  url = '/a/failureprophet-healing-app/actions'
) {
  return renderPageAt(
    url,
    <>
      <Actions />
      <Back />
    </>,
    backendUrl
  );
}

function setRole(orgRole: string) {
  config.bootData.user = { ...config.bootData.user, orgRole } as typeof config.bootData.user;
}

describe('Actions', () => {
  beforeEach(() => setRole('Editor'));

  it('links to the configuration when no backend is configured', () => {
    const fetch = routes(byState);
    renderPage('');
    expect(screen.getByTestId(testIds.backendStatus.notConfigured)).toBeInTheDocument();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('shows pending approvals first, with trigger, policy and the dry-run diff, and the history below', async () => {
    routes(byState);
    renderPage();
    const card = within(await screen.findByTestId(testIds.actions.action(7)));
    expect(card.getByText('Scale deployment shop/cart to 4 replicas')).toBeInTheDocument();
    expect(card.getByText(/critical alert: cart p99 latency above 2s/)).toBeInTheDocument();
    expect(card.getByText('critical-scale-out')).toBeInTheDocument();
    expect(card.getByText('deployment shop/cart replicas')).toBeInTheDocument();
    expect(card.getByText('3')).toBeInTheDocument();
    expect(card.getByText('4')).toBeInTheDocument();
    const history = within(screen.getByTestId(testIds.actions.history));
    expect(history.getByText('Verified: recovered')).toBeInTheDocument();
    expect(history.getByText('alice: “go”')).toBeInTheDocument();
    expect(history.getByText('latency back under 2s within 4 minutes')).toBeInTheDocument();
    // The pending one is not repeated in the history.
    expect(history.queryByText('Awaiting approval')).not.toBeInTheDocument();
  });

  it('approves with a comment after a confirmation', async () => {
    const fetch = routes(byState);
    renderPage();
    await user.click(await screen.findByTestId(testIds.actions.approve(7)));
    const dialog = await screen.findByRole('dialog');
    await user.type(within(dialog).getByTestId(testIds.actions.comment), 'scale it');
    expect(requestsTo(fetch, 'POST', healingPaths.decide(7, 'approve'))).toHaveLength(0);
    await user.click(within(dialog).getByRole('button', { name: 'Approve' }));
    expect(requestsTo(fetch, 'POST', healingPaths.decide(7, 'approve'))[0].data).toEqual({ comment: 'scale it' });
    expect(await screen.findByTestId(testIds.actions.noPending)).toBeInTheDocument();
  });

  it('rejects after a confirmation', async () => {
    const fetch = routes(byState);
    renderPage();
    await user.click(await screen.findByTestId(testIds.actions.reject(7)));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Reject' }));
    expect(requestsTo(fetch, 'POST', healingPaths.decide(7, 'reject'))).toHaveLength(1);
  });

  it("shows the backend's reason when a decision is refused", async () => {
    routes(byState, () => ({
      status: 409,
      data: { error: 'conflict', message: 'action 7 was already rejected by bob' },
    }));
    renderPage();
    await user.click(await screen.findByTestId(testIds.actions.approve(7)));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Approve' }));
    expect(await screen.findByTestId(testIds.actions.decisionError)).toHaveTextContent(
      'action 7 was already rejected by bob'
    );
  });

  it('disables the decision for Viewers and says why', async () => {
    setRole('Viewer');
    routes(byState);
    renderPage();
    expect(await screen.findByTestId(testIds.actions.approve(7))).toBeDisabled();
    expect(screen.getByTestId(testIds.actions.reject(7))).toBeDisabled();
    expect(screen.getAllByText(EDITOR_ONLY_REASON).length).toBeGreaterThan(0);
  });

  it('says nothing of an empty history until it knows how many actions wait above', async () => {
    routes((req) =>
      req.params?.state === 'awaiting_approval'
        ? new Promise(() => undefined) // the pending list answers later than the history
        : { data: { items: [], total: 0 } }
    );
    renderPage();
    await screen.findByTestId(testIds.actions.history);
    await act(async () => undefined);
    expect(screen.queryByText('No actions yet')).toBeNull();
    expect(screen.queryByTestId(testIds.actions.noHistory)).toBeNull();
  });

  it('refreshes without a reload', async () => {
    jest.useFakeTimers();
    try {
      let calls = 0;
      routes((req) => {
        if (req.params?.state === 'awaiting_approval') {
          calls++;
          return { data: calls === 1 ? { items: [], total: 0 } : { items: [pending], total: 1 } };
        }
        return { data: { items: [], total: 0 } };
      });
      renderPage();
      expect(await screen.findByTestId(testIds.actions.noPending)).toBeInTheDocument();
      await act(async () => {
        jest.advanceTimersByTime(ACTIONS_REFRESH_MS);
      });
      expect(await screen.findByTestId(testIds.actions.action(7))).toBeInTheDocument();
    } finally {
      jest.useRealTimers();
    }
  });

  it('pages the history by the cursors the backend gives: older, newer, newest', async () => {
    const fetch = routes((req) => {
      if (req.params?.state === 'awaiting_approval') {
        return { data: { items: [], total: 0 } };
      }
      const cursor = req.params?.cursor;
      return { data: { items: [done], total: 45, next: 'o3', previous: cursor ? 'n3' : null } };
    });
    renderPage();
    const history = () =>
      requestsTo(fetch, 'GET', healingPaths.actions).filter((r) => r.params?.state !== 'awaiting_approval');
    await user.click(await screen.findByTestId(testIds.pager.older));
    expect(history().pop()!.params).toMatchObject({ limit: 20, cursor: 'o3' });
    expect(history().every((r) => !('offset' in (r.params ?? {})))).toBe(true);
    await user.click(await screen.findByTestId(testIds.pager.newer));
    expect(history().pop()!.params).toMatchObject({ cursor: 'n3' });
    await user.click(screen.getByTestId(testIds.pager.newest));
    expect(history().pop()!.params).toMatchObject({ cursor: undefined });
    expect(await screen.findByTestId(testIds.pager.newest)).toBeDisabled();
  });

  it('keeps the page of the history in the URL: a link opens it, and Back returns to the page before', async () => {
    const fetch = routes((req) => {
      if (req.params?.state === 'awaiting_approval') {
        return { data: { items: [], total: 0 } };
      }
      // Each page's older one is its cursor and one more letter.
      const cursor = (req.params?.cursor as string | undefined) ?? 'o';
      return { data: { items: [done], total: 45, next: `${cursor}o`, previous: req.params?.cursor ? 'n' : null } };
    });
    renderPage(undefined, '/a/failureprophet-healing-app/actions?cursor=oo');
    const cursors = () =>
      requestsTo(fetch, 'GET', healingPaths.actions)
        .filter((r) => r.params?.state !== 'awaiting_approval')
        .map((r) => r.params?.cursor);
    await screen.findByText('Verified: recovered');
    expect(cursors()).toEqual(['oo']);

    await user.click(screen.getByTestId(testIds.pager.older));
    expect(locationSearch()).toEqual({ cursor: 'ooo' });
    expect(cursors().pop()).toBe('ooo');
    await user.click(screen.getByTestId(testIds.pager.newest));
    expect(locationSearch()).toEqual({});

    await user.click(screen.getByRole('button', { name: 'Back' }));
    expect(locationSearch()).toEqual({ cursor: 'ooo' });
    await user.click(screen.getByRole('button', { name: 'Back' }));
    expect(locationSearch()).toEqual({ cursor: 'oo' });
    expect(cursors().pop()).toBe('oo');
    expect(await screen.findByTestId(testIds.pager.newest)).toBeEnabled();
  });

  it("counts every action waiting by the backend's total, and pages them by its cursors", async () => {
    // As the backend: 45 waiting (ids 101-145), newest first, keyset by id; a page's cursor is o<id> or n<id>.
    let waiting = Array.from({ length: 45 }, (_, i) => pendingAction(145 - i));
    const page = (cursor?: string) => {
      const id = cursor ? Number(cursor.slice(1)) : Infinity;
      const older = !cursor || cursor.startsWith('o');
      const rows = older
        ? waiting.filter((a) => a.id < id).slice(0, PENDING_PAGE_SIZE)
        : waiting.filter((a) => a.id > id).slice(-PENDING_PAGE_SIZE);
      const last = rows.at(-1)?.id;
      return {
        items: rows,
        total: waiting.length,
        next: last !== undefined && waiting.some((a) => a.id < last) ? `o${last}` : null,
        previous: rows[0] && waiting.some((a) => a.id > rows[0].id) ? `n${rows[0].id}` : null,
      };
    };
    const fetch = installFakeBackendSrv({
      [`GET ${healingPaths.actions}`]: (req) =>
        req.params?.state === 'awaiting_approval'
          ? { data: page(req.params.cursor as string | undefined) }
          : { data: { items: [], total: 0 } },
      [`POST ${healingPaths.decide(119, 'approve')}`]: () => {
        const approved = { ...pendingAction(119), state: 'approved' as const };
        waiting = waiting.filter((a) => a.id !== 119);
        return { data: approved };
      },
    });
    renderPage();
    const section = within(await screen.findByTestId(testIds.actions.pending));
    expect(section.getByRole('heading', { name: 'Waiting for approval (45)' })).toBeInTheDocument();
    const shown = () => section.getAllByRole('article').map((a) => a.getAttribute('data-testid'));
    expect(shown()).toEqual(waiting.slice(0, PENDING_PAGE_SIZE).map((a) => testIds.actions.action(a.id)));
    const pendingRequests = () =>
      requestsTo(fetch, 'GET', healingPaths.actions).filter((r) => r.params?.state === 'awaiting_approval');
    expect(pendingRequests()[0].params).toMatchObject({ limit: PENDING_PAGE_SIZE, cursor: undefined });

    // A proposal arrives meanwhile: the next page is still the one after the last shown.
    waiting = [pendingAction(146), ...waiting];
    await user.click(section.getByTestId(testIds.pager.older));
    expect(locationSearch()).toEqual({ pending: 'o126' });
    await section.findByTestId(testIds.actions.action(106));
    expect(shown()).toEqual(Array.from({ length: 20 }, (_, i) => testIds.actions.action(125 - i)));

    // Approving on that page works and counts it out; the page keeps the others.
    await user.click(section.getByTestId(testIds.actions.approve(119)));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Approve' }));
    expect(await section.findByRole('heading', { name: 'Waiting for approval (45)' })).toBeInTheDocument();
    expect(section.queryByTestId(testIds.actions.action(119))).toBeNull();

    await user.click(section.getByTestId(testIds.pager.older));
    await section.findByTestId(testIds.actions.action(101));
    expect(shown()).toEqual(Array.from({ length: 4 }, (_, i) => testIds.actions.action(104 - i)));
    expect(section.getByTestId(testIds.pager.older)).toBeDisabled();
    await user.click(section.getByTestId(testIds.pager.newest));
    expect(await section.findByTestId(testIds.actions.action(146))).toBeInTheDocument();
    expect(locationSearch()).toEqual({});
  });

  it('lists every action waiting without a word about the rest when the backend gave them all', async () => {
    routes(byState);
    renderPage();
    const section = within(await screen.findByTestId(testIds.actions.pending));
    expect(section.getByRole('heading', { name: 'Waiting for approval (1)' })).toBeInTheDocument();
    expect(section.queryByText(/are listed here/)).toBeNull();
  });

  it('says in words when the backend cannot be reached', async () => {
    routes(() => ({ status: 502, data: { message: 'connection refused' } }));
    renderPage();
    expect(await screen.findAllByText('the backend is unreachable: connection refused')).toHaveLength(2);
  });
});
