import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { config } from '@grafana/runtime';
import { healingPaths } from '../../api/healing';
import { installFakeBackendSrv, requestsTo, type FakeReply } from '../../testUtils/fakeBackendSrv';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';
import { KillSwitch } from './KillSwitch';

const user = setupUser();

function backend(state: FakeReply, put: FakeReply | ((data: { engaged: boolean; reason?: string }) => FakeReply)) {
  return installFakeBackendSrv({
    [`GET ${healingPaths.killSwitch}`]: state,
    [`PUT ${healingPaths.putKillSwitch}`]: (req) => (typeof put === 'function' ? put(req.data) : put),
  });
}

const dialogButton = (name: string) => within(screen.getByRole('dialog')).getByRole('button', { name });

const signIn = (orgRole: string, isGrafanaAdmin = false) => {
  config.bootData.user = { ...config.bootData.user, orgRole, isGrafanaAdmin } as typeof config.bootData.user;
};

describe('KillSwitch', () => {
  beforeEach(() => signIn('Admin'));

  it('says why it cannot show the switch when the backend refuses', async () => {
    backend({ status: 502, data: { message: 'connection refused' } }, {});
    render(<KillSwitch />);
    expect(await screen.findByText('Cannot read the kill switch')).toBeInTheDocument();
    expect(screen.getByText(/connection refused/)).toBeInTheDocument();
    expect(screen.queryByTestId(testIds.healingConfig.killSwitchToggle)).not.toBeInTheDocument();
  });

  it('shows an engaged switch with who engaged it and why', async () => {
    backend({ data: { engaged: true, changedBy: 'alice', reason: 'incident 42', changedAt: 1_700_000_000_000 } }, {});
    render(<KillSwitch />);
    expect(await screen.findByText('Kill switch engaged: nothing is executed')).toBeInTheDocument();
    expect(screen.getByText(/Last changed .* by alice: incident 42\./)).toBeInTheDocument();
    expect(screen.getByTestId(testIds.healingConfig.killSwitch)).toHaveAttribute('data-engaged', 'true');
    expect(screen.getByTestId(testIds.healingConfig.killSwitchToggle)).toHaveTextContent('Release kill switch');
  });

  it('releases only after a confirmation, without a reason when none was typed', async () => {
    const fetch = backend({ data: { engaged: true } }, ({ engaged }) => ({ data: { engaged } }));
    render(<KillSwitch />);
    await user.click(await screen.findByTestId(testIds.healingConfig.killSwitchToggle));
    expect(screen.getByText('Release the kill switch?')).toBeInTheDocument();
    expect(requestsTo(fetch, 'PUT', healingPaths.putKillSwitch)).toHaveLength(0);
    await user.click(dialogButton('Release'));
    expect(await screen.findByText(/Kill switch released/)).toBeInTheDocument();
    expect(requestsTo(fetch, 'PUT', healingPaths.putKillSwitch).map((r) => r.data)).toEqual([
      { engaged: false, reason: undefined },
    ]);
    expect(screen.getByTestId(testIds.healingConfig.killSwitch)).toHaveAttribute('data-engaged', 'false');
  });

  it('changes nothing when the confirmation is dismissed', async () => {
    const fetch = backend({ data: { engaged: false } }, {});
    render(<KillSwitch />);
    await user.click(await screen.findByTestId(testIds.healingConfig.killSwitchToggle));
    expect(screen.getByText('Engage the kill switch?')).toBeInTheDocument();
    await user.click(dialogButton('Cancel'));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(requestsTo(fetch, 'PUT', healingPaths.putKillSwitch)).toHaveLength(0);
    expect(screen.getByTestId(testIds.healingConfig.killSwitch)).toHaveAttribute('data-engaged', 'false');
  });

  it("sends the trimmed reason, shows the backend's refusal and keeps the switch as it was", async () => {
    const fetch = backend({ data: { engaged: false } }, { status: 403, data: { message: 'admins only' } });
    render(<KillSwitch />);
    await user.click(await screen.findByTestId(testIds.healingConfig.killSwitchToggle));
    await user.click(screen.getByLabelText(/^Reason/));
    await user.paste('  incident 7  ');
    await user.click(dialogButton('Engage'));
    expect(await screen.findByText('The kill switch was not changed')).toBeInTheDocument();
    expect(screen.getByText(/admins only/)).toBeInTheDocument();
    expect(requestsTo(fetch, 'PUT', healingPaths.putKillSwitch)[0].data).toEqual({
      engaged: true,
      reason: 'incident 7',
    });
    expect(screen.getByText(/Kill switch released/)).toBeInTheDocument();
    expect(screen.getByTestId(testIds.healingConfig.killSwitch)).toHaveAttribute('data-engaged', 'false');
  });

  it.each([
    ['an org Editor', 'Editor', false],
    ['a Grafana server admin whose org role is Viewer', 'Viewer', true],
  ])(
    'shows %s the switch with the change disabled and why, since the proxy would refuse it',
    async (_, orgRole, serverAdmin) => {
      signIn(orgRole, serverAdmin);
      const fetch = backend({ data: { engaged: true, changedBy: 'alice', reason: 'incident 42' } }, {});
      render(<KillSwitch />);
      expect(await screen.findByText('Kill switch engaged: nothing is executed')).toBeInTheDocument();
      const toggle = screen.getByTestId(testIds.healingConfig.killSwitchToggle);
      expect(toggle).toBeDisabled();
      const reason = `Only Admins of this organization can change this: your role in it is ${orgRole}. You can read it here.`;
      expect(screen.getByText(reason)).toBeVisible();
      expect(screen.getByRole('button', { name: 'Release kill switch', description: reason })).toBe(toggle);
      await user.click(toggle);
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
      expect(requestsTo(fetch, 'PUT', healingPaths.putKillSwitch)).toHaveLength(0);
    }
  );

  it('says nothing about roles to an org Admin', async () => {
    backend({ data: { engaged: false } }, {});
    render(<KillSwitch />);
    expect(await screen.findByTestId(testIds.healingConfig.killSwitchToggle)).toBeEnabled();
    expect(screen.queryByText(/Only Admins of this organization/)).not.toBeInTheDocument();
  });
});
