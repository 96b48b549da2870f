import { screen, waitFor, within } from '@testing-library/react';
import type { Policy } from '../../../contract/healing';
import { healingPaths } from '../../api/healing';
import { requestsTo } from '../../testUtils/fakeBackendSrv';
import { healingRoutes, policyBox, renderHealingTab } from '../../testUtils/healingConfig';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';

const user = setupUser();
const hours = (policy: number) => within(screen.getByTestId(testIds.healingConfig.autoWindows(policy)));
const windowBox = (policy: number, n: number) => within(hours(policy).getByRole('region', { name: `Window ${n}` }));

async function retype(input: HTMLElement, text: string) {
  // Pasted, not typed: each keystroke re-renders the whole tab, seconds apiece on a busy machine.
  await user.clear(input);
  await user.paste(text);
}

describe('AutoWindowsEditor', () => {
  it('restricts automatic actions to windows, says what is wrong in plain words, and saves them', async () => {
    const fetch = healingRoutes();
    renderHealingTab();
    await user.click(await waitFor(() => hours(0).getByLabelText(/^Only at certain times/)));
    expect(hours(0).getByText('Outside these windows, Automatic actions wait for approval')).toBeInTheDocument();
    expect(windowBox(0, 1).getByLabelText(/^From/)).toHaveValue('08:00');

    const zone = hours(0).getByLabelText(/^Time zone/);
    await retype(zone, 'Mars/Olympus');
    expect(hours(0).getByText('Not a time zone: write an IANA name such as Europe/Berlin or UTC')).toBeInTheDocument();
    expect(screen.getByTestId(testIds.healingConfig.save)).toBeDisabled();
    await retype(zone, 'Europe/Berlin');
    expect(hours(0).queryByText(/Not a time zone/)).not.toBeInTheDocument();

    // A range may pass midnight: 22:00 to 06:00 is the night into the next day.
    await retype(windowBox(0, 1).getByLabelText(/^From/), '22:00');
    await retype(windowBox(0, 1).getByLabelText(/^To/), '25:00');
    expect(windowBox(0, 1).getByText('Write a time of day as HH:MM, from 00:00 to 23:59')).toBeInTheDocument();
    await retype(windowBox(0, 1).getByLabelText(/^To/), '22:00');
    expect(windowBox(0, 1).getByText('From and To must differ: that window would be empty')).toBeInTheDocument();
    await retype(windowBox(0, 1).getByLabelText(/^To/), '06:00');
    expect(windowBox(0, 1).getByText('Runs past midnight into the next day')).toBeInTheDocument();
    await user.click(windowBox(0, 1).getByLabelText('Mon'));
    await user.click(windowBox(0, 1).getByLabelText('Sat'));

    await user.click(hours(0).getByRole('button', { name: 'Add window' }));
    for (const day of ['Mon', 'Tue', 'Wed', 'Thu', 'Fri']) {
      await user.click(windowBox(0, 2).getByLabelText(day));
    }
    expect(windowBox(0, 2).getByText('Pick at least one day')).toBeInTheDocument();
    expect(screen.getByTestId(testIds.healingConfig.save)).toBeDisabled();
    await user.click(hours(0).getByLabelText('Remove window 2'));

    await user.click(screen.getByTestId(testIds.healingConfig.save));
    await screen.findByTestId(testIds.healingConfig.saveSuccess);
    const [put] = requestsTo(fetch, 'PUT', healingPaths.putPolicies);
    expect(put.data.policies[0].autoWindows).toEqual({
      timeZone: 'Europe/Berlin',
      windows: [{ days: ['tue', 'wed', 'thu', 'fri', 'sat'], from: '22:00', to: '06:00' }],
    });
    expect(put.data.policies[1].autoWindows).toBeUndefined();
  });

  it('asks for a window when the last one is removed, and turning the restriction off saves none', async () => {
    const night: Policy = {
      name: 'night-drain',
      enabled: true,
      match: {},
      action: { type: 'drain' },
      gate: 'auto',
      autoWindows: { timeZone: 'UTC', windows: [{ days: ['sun'], from: '01:00', to: '04:00' }] },
    };
    const fetch = healingRoutes({ [`GET ${healingPaths.policies}`]: { data: { policies: [night], source: 'store' } } });
    renderHealingTab();
    expect(await waitFor(() => windowBox(0, 1).getByLabelText('Sun'))).toBeChecked();
    expect(windowBox(0, 1).getByLabelText('Mon')).not.toBeChecked();
    await user.click(hours(0).getByLabelText('Remove window 1'));
    expect(hours(0).getByText('Add at least one window, or turn "Only at certain times" off')).toBeInTheDocument();
    expect(screen.getByTestId(testIds.healingConfig.save)).toBeDisabled();

    // Automatic outside its hours waits for approval, so the approval timeout applies until the restriction goes.
    expect(policyBox(0).getByLabelText(/^Approval timeout/)).toBeInTheDocument();
    await user.click(hours(0).getByLabelText(/^Only at certain times/));
    expect(hours(0).getByText('Automatic actions run at any time')).toBeInTheDocument();
    expect(policyBox(0).queryByLabelText(/^Approval timeout/)).not.toBeInTheDocument();
    await user.click(screen.getByTestId(testIds.healingConfig.save));
    await screen.findByTestId(testIds.healingConfig.saveSuccess);
    const saved = requestsTo(fetch, 'PUT', healingPaths.putPolicies)[0].data.policies[0];
    expect(saved).not.toHaveProperty('autoWindows', expect.anything());
    expect(policyBox(0).getByLabelText(/^Name\s*\*?$/)).toHaveValue('night-drain');
  });
});
