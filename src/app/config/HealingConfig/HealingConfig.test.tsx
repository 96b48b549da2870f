import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { config, locationService } from '@grafana/runtime';
import { setupUser } from '../../testUtils/user';
import type { Policy } from '../../../contract/healing';
import { healingPaths } from '../../api/healing';
import { requestsTo } from '../../testUtils/fakeBackendSrv';
import {
  defaultPolicies,
  healingRoutes as routes,
  policyBox,
  renderHealingTab as renderTab,
} from '../../testUtils/healingConfig';
import { testIds } from '../../testIds';
import { validatePolicies } from './HealingConfig';

const user = setupUser();

describe('validatePolicies', () => {
  it('names the field and the reason', () => {
    const errors = validatePolicies([
      { name: '', action: { type: 'scale', delta: 1, replicas: 3 } },
      { name: 'a', action: { type: 'restart' } },
      { name: 'a', action: { type: 'drain', timeoutSeconds: -5 } },
    ]);
    expect(errors[0]).toEqual({ name: 'Required', 'action.replicas': 'either delta or replicas, not both' });
    expect(errors[1]).toEqual({});
    expect(errors[2].name).toBe('Another policy is already named "a"');
    expect(errors[2]['action.timeoutSeconds']).toMatch(/at least|greater/i);
  });
});

const signIn = (orgRole: string, isGrafanaAdmin = false) => {
  config.bootData.user = { ...config.bootData.user, orgRole, isGrafanaAdmin } as typeof config.bootData.user;
};

describe('HealingConfig', () => {
  beforeEach(() => signIn('Admin'));

  it('asks for the connection first when no backend is configured', () => {
    const fetch = routes();
    renderTab({});
    expect(screen.getByRole('link', { name: /connection tab/i })).toHaveAttribute(
      'href',
      expect.stringContaining('page=connection')
    );
    expect(fetch).not.toHaveBeenCalled();
  });

  it("shows the backend's error when policies cannot be loaded", async () => {
    routes({ [`GET ${healingPaths.policies}`]: { status: 502, data: { message: 'connection refused' } } });
    renderTab();
    expect(await screen.findByText(/the backend is unreachable: connection refused/)).toBeInTheDocument();
  });

  it('lists the policies in order with the kill switch above them', async () => {
    routes();
    renderTab();
    expect(await screen.findByTestId(testIds.healingConfig.container)).toBeInTheDocument();
    expect(await screen.findByText(/Kill switch released/)).toBeInTheDocument();
    expect(policyBox(0).getByLabelText(/^Name\s*\*?$/)).toHaveValue('critical-scale-out');
    expect(policyBox(1).getByLabelText(/^Name\s*\*?$/)).toHaveValue('high-restart');
    expect(screen.getByTestId(testIds.healingConfig.save)).toBeDisabled();
  });

  it('validates as the admin types and blocks saving an invalid policy', async () => {
    const fetch = routes();
    renderTab();
    const name = await waitFor(() => policyBox(1).getByLabelText(/^Name\s*\*?$/));
    await user.clear(name);
    expect(policyBox(1).getByText('Required')).toBeInTheDocument();
    await user.click(name);
    await user.paste('critical-scale-out');
    expect(policyBox(1).getByText('Another policy is already named "critical-scale-out"')).toBeInTheDocument();
    expect(screen.getByTestId(testIds.healingConfig.invalid)).toBeInTheDocument();
    expect(screen.getByTestId(testIds.healingConfig.save)).toBeDisabled();
    expect(requestsTo(fetch, 'PUT', healingPaths.putPolicies)).toHaveLength(0);
  });

  it('adds, reorders and deletes policies and saves the list in its new order', async () => {
    const fetch = routes();
    renderTab();
    await screen.findByTestId(testIds.healingConfig.container);
    await user.click(screen.getByTestId(testIds.healingConfig.addPolicy));
    const added = policyBox(2);
    await user.clear(added.getByLabelText(/^Name\s*\*?$/));
    await user.click(added.getByLabelText(/^Name\s*\*?$/));
    await user.paste('notify-medium');
    await user.click(added.getByLabelText('Dry run only'));
    await user.click(screen.getByLabelText('Move notify-medium up'));
    await user.click(screen.getByLabelText('Delete critical-scale-out'));
    expect(screen.getByTestId(testIds.healingConfig.unsaved)).toBeInTheDocument();

    await user.click(screen.getByTestId(testIds.healingConfig.save));
    expect(await screen.findByTestId(testIds.healingConfig.saveSuccess)).toHaveTextContent(/Saved 2 policies\.$/);
    const [put] = requestsTo(fetch, 'PUT', healingPaths.putPolicies);
    expect(put.data.policies.map((p: Policy) => [p.name, p.gate])).toEqual([
      ['notify-medium', 'dry-run'],
      ['high-restart', 'approve'],
    ]);
    // Limits were not touched, so they are not rewritten.
    expect(requestsTo(fetch, 'PUT', healingPaths.putLimits)).toHaveLength(0);
    expect(screen.queryByTestId(testIds.healingConfig.unsaved)).not.toBeInTheDocument();
  });

  it('keeps the fields of a policy it does not show when saving (ladder, verification, auto windows)', async () => {
    const ladder: Policy = {
      name: 'crashloop-ladder',
      enabled: true,
      match: { severities: ['critical'] },
      action: { type: 'delete-pod' },
      gate: 'auto',
      verifySeconds: 300,
      steps: [
        { action: { type: 'restart' }, gate: 'approve', verifySeconds: 600 },
        { action: { type: 'notify', message: 'still failing: {summary}' }, gate: 'auto' },
      ],
      autoWindows: { timeZone: 'Europe/Berlin', windows: [{ days: ['mon', 'fri'], from: '22:00', to: '06:00' }] },
    };
    const fetch = routes({ [`GET ${healingPaths.policies}`]: { data: { policies: [ladder], source: 'store' } } });
    renderTab();
    const name = await waitFor(() => policyBox(0).getByLabelText(/^Name\s*\*?$/));
    await user.click(name);
    await user.paste('-v2');
    await user.click(screen.getByTestId(testIds.healingConfig.save));
    await screen.findByTestId(testIds.healingConfig.saveSuccess);
    const [put] = requestsTo(fetch, 'PUT', healingPaths.putPolicies);
    expect(put.data.policies).toEqual([{ ...ladder, name: 'crashloop-ladder-v2' }]);
  });

  it('validates the safety limits and saves them', async () => {
    const fetch = routes();
    renderTab();
    const ceiling = within(await screen.findByTestId(testIds.healingConfig.limits)).getByLabelText(/^Replica ceiling/);
    await user.clear(ceiling);
    await user.type(ceiling, '0');
    expect(
      within(screen.getByTestId(testIds.healingConfig.limits)).getByText('Must be at least 1')
    ).toBeInTheDocument();
    expect(screen.getByTestId(testIds.healingConfig.save)).toBeDisabled();
    await user.clear(ceiling);
    await user.type(ceiling, '8');
    await user.click(screen.getByTestId(testIds.healingConfig.save));
    await screen.findByTestId(testIds.healingConfig.saveSuccess);
    expect(requestsTo(fetch, 'PUT', healingPaths.putLimits)[0].data.replicaCeiling).toBe(8);
  });

  it("shows the server's error when saving fails and keeps the changes", async () => {
    routes({
      [`PUT ${healingPaths.putPolicies}`]: {
        status: 400,
        data: { error: 'bad_request', message: 'policies.0.name: too long', field: 'policies.0.name' },
      },
    });
    renderTab();
    await screen.findByTestId(testIds.healingConfig.container);
    await user.click(screen.getByLabelText('Delete high-restart'));
    await user.click(screen.getByTestId(testIds.healingConfig.save));
    expect(await screen.findByTestId(testIds.healingConfig.saveError)).toHaveTextContent('policies.0.name: too long');
    expect(screen.getByTestId(testIds.healingConfig.unsaved)).toBeInTheDocument();
  });

  it('engages the kill switch only after a confirmation, with the reason', async () => {
    const fetch = routes();
    renderTab();
    await user.click(await screen.findByTestId(testIds.healingConfig.killSwitchToggle));
    const reason = await screen.findByLabelText(/^Reason/);
    await user.click(reason);
    await user.paste('incident 42');
    expect(requestsTo(fetch, 'PUT', healingPaths.putKillSwitch)).toHaveLength(0);
    await user.click(
      Array.from(reason.closest('[role="dialog"]')!.querySelectorAll('button')).find((b) => b.textContent === 'Engage')!
    );
    expect(await screen.findByText(/Kill switch engaged/)).toBeInTheDocument();
    expect(requestsTo(fetch, 'PUT', healingPaths.putKillSwitch)[0].data).toEqual({
      engaged: true,
      reason: 'incident 42',
    });
    expect(screen.getByTestId(testIds.healingConfig.killSwitch)).toHaveAttribute('data-engaged', 'true');
  });

  it('warns before leaving with unsaved changes', async () => {
    routes();
    renderTab();
    await screen.findByTestId(testIds.healingConfig.container);
    const before = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(before);
    expect(before.defaultPrevented).toBe(false);
    fireEvent.click(screen.getByLabelText('Delete high-restart'));
    const after = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(after);
    expect(after.defaultPrevented).toBe(true);
    // Inside Grafana, in Grafana's own modal; staying keeps the page and the changes.
    act(() => locationService.push('/a/failureprophet-healing-app/overview'));
    const dialog = screen.getByRole('dialog');
    expect(dialog).toHaveTextContent('You have unsaved changes. Leave this page and lose them?');
    await user.click(within(dialog).getByRole('button', { name: 'Stay' }));
    expect(locationService.getLocation().pathname).not.toBe('/a/failureprophet-healing-app/overview');
    expect(screen.getByTestId(testIds.healingConfig.unsaved)).toBeInTheDocument();
  });

  it('records the policies the backend saved when it then refuses the limits, and says which part failed', async () => {
    const fetch = routes({
      [`GET ${healingPaths.policies}`]: { data: { policies: defaultPolicies, source: 'config' } },
      [`PUT ${healingPaths.putLimits}`]: {
        status: 400,
        data: { error: 'bad_request', message: 'replicaCeiling: too high', field: 'replicaCeiling' },
      },
    });
    renderTab();
    await screen.findByTestId(testIds.healingConfig.container);
    expect(screen.getByText(/These come from the backend's configuration file/)).toBeInTheDocument();
    await user.click(screen.getByLabelText('Delete high-restart'));
    const ceiling = within(screen.getByTestId(testIds.healingConfig.limits)).getByLabelText(/^Replica ceiling/);
    await user.clear(ceiling);
    await user.type(ceiling, '8');
    await user.click(screen.getByTestId(testIds.healingConfig.save));

    const error = await screen.findByTestId(testIds.healingConfig.saveError);
    expect(error).toHaveTextContent(
      'The policies were saved, but the safety limits were not: replicaCeiling: too high'
    );
    expect(requestsTo(fetch, 'PUT', healingPaths.putPolicies)).toHaveLength(1);
    // The saved policies are the page's now: no longer "from the configuration file".
    expect(screen.queryByText(/These come from the backend's/)).not.toBeInTheDocument();
    // The refused limits stay as typed and unsaved.
    expect(within(screen.getByTestId(testIds.healingConfig.limits)).getByLabelText(/^Replica ceiling/)).toHaveValue(8);
    expect(screen.getByTestId(testIds.healingConfig.unsaved)).toBeInTheDocument();

    // Saving again sends only the limits: the policies are not re-sent as if unsaved.
    await user.click(screen.getByTestId(testIds.healingConfig.save));
    await waitFor(() => expect(requestsTo(fetch, 'PUT', healingPaths.putLimits)).toHaveLength(2));
    expect(requestsTo(fetch, 'PUT', healingPaths.putPolicies)).toHaveLength(1);
  });

  it('names the policies as the part that failed, and that the limits were not sent either', async () => {
    const fetch = routes({
      [`PUT ${healingPaths.putPolicies}`]: { status: 400, data: { message: 'policies.0.name: too long' } },
    });
    renderTab();
    await screen.findByTestId(testIds.healingConfig.container);
    await user.click(screen.getByLabelText('Delete high-restart'));
    const ceiling = within(screen.getByTestId(testIds.healingConfig.limits)).getByLabelText(/^Replica ceiling/);
    await user.clear(ceiling);
    await user.type(ceiling, '8');
    await user.click(screen.getByTestId(testIds.healingConfig.save));
    expect(await screen.findByTestId(testIds.healingConfig.saveError)).toHaveTextContent(
      'The policies were not saved, nor the safety limits: policies.0.name: too long'
    );
    expect(requestsTo(fetch, 'PUT', healingPaths.putLimits)).toHaveLength(0);
    expect(screen.getByText(/These come from the backend's defaults/)).toBeInTheDocument();
  });

  it.each([
    ['an org Editor', 'Editor', false],
    ['a Grafana server admin whose org role is Viewer', 'Viewer', true],
  ])('shows %s the policies and limits with saving disabled, and why', async (_, orgRole, serverAdmin) => {
    signIn(orgRole, serverAdmin);
    const fetch = routes();
    renderTab();
    await screen.findByTestId(testIds.healingConfig.container);
    expect(policyBox(0).getByLabelText(/^Name\s*\*?$/)).toHaveValue('critical-scale-out');
    await user.click(screen.getByLabelText('Delete high-restart'));
    const reason = `Only Admins of this organization can change this: your role in it is ${orgRole}. You can read it here.`;
    expect(screen.getAllByText(reason).length).toBeGreaterThan(0);
    const save = screen.getByTestId(testIds.healingConfig.save);
    expect(save).toBeDisabled();
    await user.click(save);
    expect(screen.getByTestId(testIds.healingConfig.killSwitchToggle)).toBeDisabled();
    expect(requestsTo(fetch, 'PUT', healingPaths.putPolicies)).toHaveLength(0);
    expect(requestsTo(fetch, 'PUT', healingPaths.putLimits)).toHaveLength(0);
  });
});
