import React from 'react';
import { render, screen, waitFor, within } from '@testing-library/react';
import { setTimeZoneResolver } from '@grafana/data';
import { config } from '@grafana/runtime';
import type { Action } from '../../../contract/healing';
import { healingPaths } from '../../api/healing';
import { EDITOR_ONLY_REASON } from '../../permissions';
import { PluginSettingsContext } from '../../pluginSettings';
import { installFakeBackendSrv, requestsTo, type FakeRoute } from '../../testUtils/fakeBackendSrv';
import { pendingAction } from '../../testUtils/fixtures';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';
import { PendingAction } from './PendingAction';

const user = setupUser();

const setRole = (orgRole: string) => {
  config.bootData.user = { ...config.bootData.user, orgRole } as typeof config.bootData.user;
};

function renderAction(action: Action, routes: Record<string, FakeRoute> = {}) {
  const fetch = installFakeBackendSrv(routes);
  const onDecided = jest.fn();
  render(
    <PluginSettingsContext.Provider value={{ backendUrl: 'http://backend:3001' }}>
      <PendingAction action={action} onDecided={onDecided} />
    </PluginSettingsContext.Provider>
  );
  return { fetch, onDecided };
}

describe('PendingAction', () => {
  beforeEach(() => setRole('Editor'));

  it('shows what triggered the action and its dry-run diff, and approves it with the comment', async () => {
    const action = pendingAction(7, { expiresAt: 1_700_000_900_000 });
    const approved: Action = {
      ...action,
      state: 'approved',
      decisions: [{ decision: 'approved', user: 'alice', comment: 'go', at: 1_700_000_100_000 }],
    };
    const { fetch, onDecided } = renderAction(action, {
      [`POST ${healingPaths.decide(7, 'approve')}`]: () => ({ data: approved }),
    });
    const card = within(screen.getByRole('article', { name: 'Action 7: Scale deployment shop/cart to 4 replicas' }));
    expect(card.getByRole('heading', { name: 'Scale deployment shop/cart to 4 replicas' })).toBeInTheDocument();
    expect(card.getByText(/^Triggered by/)).toHaveTextContent(
      /^Triggered by critical alert: cart p99 latency above 2s · policy critical-scale-out · proposed .+ · expires 2023-11-14 22:28:20/
    );
    expect(card.getByText('Dry run passed')).toBeInTheDocument();
    expect(card.getByText('would scale deployment shop/cart from 3 to 4')).toBeInTheDocument();
    const change = card.getAllByRole('row')[1];
    expect(
      within(change)
        .getAllByRole('cell')
        .map((c) => c.textContent)
    ).toEqual(['deployment shop/cart replicas', '3', '4']);

    await user.click(card.getByRole('button', { name: 'Approve action 7: Scale deployment shop/cart to 4 replicas' }));
    const dialog = within(await screen.findByRole('dialog'));
    expect(dialog.getByText('Approve: Scale deployment shop/cart to 4 replicas?')).toBeInTheDocument();
    await user.type(dialog.getByTestId(testIds.actions.comment), ' go ');
    await user.click(dialog.getByRole('button', { name: 'Approve' }));

    await waitFor(() => expect(onDecided).toHaveBeenCalledWith(approved));
    expect(requestsTo(fetch, 'POST', healingPaths.decide(7, 'approve'))[0].data).toEqual({ comment: 'go' });
    expect(requestsTo(fetch, 'POST', healingPaths.decide(7, 'reject'))).toHaveLength(0);
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
  });

  it('says why a rejection was not recorded, and does not report it decided', async () => {
    const { fetch, onDecided } = renderAction(pendingAction(8), {
      [`POST ${healingPaths.decide(8, 'reject')}`]: () => ({ status: 409, data: { message: 'action 8 expired' } }),
    });
    await user.click(screen.getByTestId(testIds.actions.reject(8)));
    const dialog = within(await screen.findByRole('dialog'));
    expect(dialog.getByText('Reject: Scale deployment shop/cart to 4 replicas?')).toBeInTheDocument();
    await user.click(dialog.getByRole('button', { name: 'Reject' }));
    const alert = await screen.findByTestId(testIds.actions.decisionError);
    expect(alert).toHaveTextContent('The decision was not recorded');
    expect(alert).toHaveTextContent('action 8 expired');
    // No comment typed: none is sent.
    expect(requestsTo(fetch, 'POST', healingPaths.decide(8, 'reject'))[0].data).toEqual({ comment: undefined });
    expect(onDecided).not.toHaveBeenCalled();
  });

  it('lets a Viewer read the action but not decide it, and says why', async () => {
    setRole('Viewer');
    const { fetch } = renderAction(pendingAction(9));
    for (const id of [testIds.actions.approve(9), testIds.actions.reject(9)]) {
      const button = screen.getByTestId(id);
      expect(button).toBeDisabled();
      await user.click(button);
    }
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(screen.getAllByText(EDITOR_ONLY_REASON).length).toBeGreaterThan(0);
    expect(fetch).not.toHaveBeenCalled();
  });

  it("gives a Viewer the reason as the buttons' description, with no focusable wrapper labelled by it", () => {
    setRole('Viewer');
    renderAction(pendingAction(9));
    expect(screen.getByText(EDITOR_ONLY_REASON)).toBeVisible();
    for (const name of [
      'Approve action 9: Scale deployment shop/cart to 4 replicas',
      'Reject action 9: Scale deployment shop/cart to 4 replicas',
    ]) {
      expect(screen.getByRole('button', { name, description: EDITOR_ONLY_REASON })).toBeDisabled();
    }
    // ARIA prohibits aria-label on a generic element (a span): assistive technology ignores it.
    expect(screen.queryByLabelText(EDITOR_ONLY_REASON)).not.toBeInTheDocument();
  });

  it('gives an Editor no reason text and no description', () => {
    renderAction(pendingAction(9));
    expect(screen.queryByText(EDITOR_ONLY_REASON)).not.toBeInTheDocument();
    expect(screen.getByTestId(testIds.actions.approve(9))).not.toHaveAccessibleDescription();
  });

  it('shows a failed drain dry run: the error, and the pods it would evict, skip and find blocked', () => {
    renderAction(
      pendingAction(10, {
        action: { type: 'drain', node: 'n1' },
        target: 'node n1',
        reason: { kind: 'storm', message: 'storm mode: approval needed' },
        dryRun: {
          ok: false,
          at: 1_700_000_000_000,
          summary: 'would evict 1 pod from node n1',
          changes: [],
          pods: {
            evict: [{ namespace: 'shop', name: 'cart-1' }],
            skip: [{ namespace: 'kube-system', name: 'proxy-a', why: 'DaemonSet' }],
            blocked: [{ namespace: 'shop', name: 'db-0', why: 'PodDisruptionBudget db' }],
          },
          error: { kind: 'kubernetes', message: 'eviction refused by a PodDisruptionBudget' },
        },
      })
    );
    expect(screen.getByRole('heading', { name: 'Drain node n1' })).toBeInTheDocument();
    expect(screen.getByText('storm mode: approval needed')).toBeInTheDocument();
    expect(screen.getByText('Dry run failed')).toBeInTheDocument();
    expect(screen.getByText('eviction refused by a PodDisruptionBudget')).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'Would evict: shop/cart-1',
      'Skips: kube-system/proxy-a (DaemonSet)',
      'Blocked now: shop/db-0 (PodDisruptionBudget db)',
    ]);
  });

  it('says why an action waits: its policy asks for approval, or a hold stopped an automatic one', () => {
    renderAction(pendingAction(12));
    const card = screen.getByRole('article', { name: /^Action 12:/ });
    expect(within(card).getByText(/^Waits because/)).toHaveTextContent(
      'Waits because its policy asks for approval before it acts.'
    );
    renderAction(
      pendingAction(13, {
        gate: 'auto',
        reason: { kind: 'namespace-paused', message: 'automatic actions are paused in namespace shop' },
      })
    );
    const held = screen.getByRole('article', { name: /^Action 13:/ });
    expect(within(held).getByText('automatic actions are paused in namespace shop')).toBeInTheDocument();
    expect(within(held).queryByText(/^Waits because/)).not.toBeInTheDocument();
  });

  it('says since when a hold holds in the time zone of the viewer, not in UTC', () => {
    setTimeZoneResolver(() => 'Europe/Berlin');
    try {
      renderAction(
        pendingAction(14, {
          gate: 'auto',
          reason: {
            kind: 'namespace-paused',
            message: 'automatic actions are paused in namespace shop by admin: migration',
            since: Date.parse('2026-12-05T17:14:08.804Z'),
          },
        })
      );
    } finally {
      setTimeZoneResolver(() => 'browser');
    }
    const held = screen.getByRole('article', { name: /^Action 14:/ });
    expect(
      within(held).getByText(
        'automatic actions are paused in namespace shop by admin: migration (since 2026-12-05 18:14:08 CET)'
      )
    ).toBeInTheDocument();
    expect(within(held).queryByText(/2026-12-05T17:14:08/)).not.toBeInTheDocument();
  });

  it("says since when a drain's skip in a paused namespace holds, in the time zone of the viewer", () => {
    setTimeZoneResolver(() => 'Europe/Berlin');
    try {
      renderAction(
        pendingAction(15, {
          action: { type: 'drain', node: 'n1' },
          target: 'node n1',
          dryRun: {
            ok: true,
            at: 1_700_000_000_000,
            summary: 'would evict 1 pod from node n1',
            changes: [],
            pods: {
              evict: [{ namespace: 'web', name: 'front-1' }],
              skip: [
                {
                  namespace: 'shop',
                  name: 'cart-1',
                  why: 'automatic actions are paused in namespace shop by admin: migration',
                  since: Date.parse('2026-12-05T17:14:08.804Z'),
                },
              ],
              blocked: [],
            },
          },
        })
      );
    } finally {
      setTimeZoneResolver(() => 'browser');
    }
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'Would evict: web/front-1',
      'Skips: shop/cart-1 (automatic actions are paused in namespace shop by admin: migration (since 2026-12-05 18:14:08 CET))',
    ]);
  });

  it('says when no server-side dry run was recorded', () => {
    renderAction(pendingAction(11, { dryRun: undefined }));
    expect(screen.getByText('No server-side dry run recorded.')).toBeInTheDocument();
    expect(screen.queryByText(/Dry run (passed|failed)/)).not.toBeInTheDocument();
  });
});
