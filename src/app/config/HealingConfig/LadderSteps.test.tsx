import { screen, waitFor, within } from '@testing-library/react';
import type { Policy } from '../../../contract/healing';
import { healingPaths } from '../../api/healing';
import { chooseOption } from '../../testUtils/combobox';
import { requestsTo } from '../../testUtils/fakeBackendSrv';
import { healingRoutes, policyBox, renderHealingTab } from '../../testUtils/healingConfig';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';

const user = setupUser();

const step = (policy: number, index: number) => within(screen.getByTestId(testIds.healingConfig.step(policy, index)));

describe('LadderSteps', () => {
  it('adds, edits, reorders and removes ladder steps and saves them in order', async () => {
    const fetch = healingRoutes();
    renderHealingTab();
    await user.click(await waitFor(() => policyBox(0).getByRole('button', { name: 'Add step' })));
    // The first step is "Scale out", so a new step takes the next action type not in the ladder.
    expect(step(0, 0).getByText('Step 2: Rolling restart')).toBeInTheDocument();
    await user.click(step(0, 0).getByLabelText('Automatic'));
    await user.type(step(0, 0).getByLabelText(/^Verification window/), '600');
    await user.click(policyBox(0).getByRole('button', { name: 'Add step' }));
    expect(step(0, 1).getByText('Step 3: Delete pod')).toBeInTheDocument();
    await user.type(step(0, 1).getByLabelText(/^Grace period/), '30');
    await user.click(policyBox(0).getByRole('button', { name: 'Add step' }));
    await user.click(screen.getByLabelText('Move step 3 up'));
    expect(step(0, 0).getByText('Step 2: Delete pod')).toBeInTheDocument();
    await user.click(screen.getByLabelText('Remove step 4'));
    expect(screen.queryByTestId(testIds.healingConfig.step(0, 2))).not.toBeInTheDocument();
    await user.type(policyBox(0).getByLabelText(/^Verification window of step 1/), '300');

    await user.click(screen.getByTestId(testIds.healingConfig.save));
    await screen.findByTestId(testIds.healingConfig.saveSuccess);
    const [put] = requestsTo(fetch, 'PUT', healingPaths.putPolicies);
    const saved: Policy = put.data.policies[0];
    expect(saved.verifySeconds).toBe(300);
    expect(saved.steps).toEqual([
      { action: { type: 'delete-pod', gracePeriodSeconds: 30 }, gate: 'approve' },
      { action: { type: 'restart' }, gate: 'auto', verifySeconds: 600 },
    ]);
    expect(put.data.policies[1].steps).toBeUndefined();
  });

  it('names a step that repeats an action type and blocks saving until it is changed', async () => {
    const fetch = healingRoutes();
    renderHealingTab();
    await user.click(await waitFor(() => policyBox(1).getByRole('button', { name: 'Add step' })));
    // Policy 2's first action is a restart; its new step is a scale: make it a restart too.
    const action = step(1, 0).getByRole('combobox', { name: 'Action' });
    await chooseOption(user, action, 'Rolling restart');
    expect(step(1, 0).getByText('Step 1 already takes this action: each step takes another')).toBeInTheDocument();
    expect(screen.getByTestId(testIds.healingConfig.save)).toBeDisabled();

    await chooseOption(user, action, 'Notify');
    expect(step(1, 0).queryByText(/already takes this action/)).not.toBeInTheDocument();
    await user.type(step(1, 0).getByLabelText(/^Verification window/), '0');
    expect(step(1, 0).getByText('Must be greater than 0')).toBeInTheDocument();
    await user.clear(step(1, 0).getByLabelText(/^Verification window/));
    await user.click(screen.getByTestId(testIds.healingConfig.save));
    await screen.findByTestId(testIds.healingConfig.saveSuccess);
    expect(requestsTo(fetch, 'PUT', healingPaths.putPolicies)[0].data.policies[1].steps).toEqual([
      { action: { type: 'notify' }, gate: 'approve' },
    ]);
  });

  it('removing the last step removes the ladder and its first verification window', async () => {
    const ladder: Policy = {
      name: 'ladder',
      enabled: true,
      match: {},
      action: { type: 'restart' },
      gate: 'approve',
      verifySeconds: 120,
      steps: [{ action: { type: 'notify' }, gate: 'auto' }],
    };
    const fetch = healingRoutes({
      [`GET ${healingPaths.policies}`]: { data: { policies: [ladder], source: 'store' } },
    });
    renderHealingTab();
    expect(await waitFor(() => policyBox(0).getByLabelText(/^Verification window of step 1/))).toHaveValue(120);
    await user.click(screen.getByLabelText('Remove step 2'));
    expect(policyBox(0).queryByLabelText(/^Verification window of step 1/)).not.toBeInTheDocument();
    await user.click(screen.getByTestId(testIds.healingConfig.save));
    await screen.findByTestId(testIds.healingConfig.saveSuccess);
    const saved = requestsTo(fetch, 'PUT', healingPaths.putPolicies)[0].data.policies[0];
    expect(saved).not.toHaveProperty('steps', expect.anything());
    expect(saved).not.toHaveProperty('verifySeconds', expect.anything());
  });
});
