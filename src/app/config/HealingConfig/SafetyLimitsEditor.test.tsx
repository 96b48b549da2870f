import { screen, within } from '@testing-library/react';
import { healingPaths } from '../../api/healing';
import { defaultLimits, healingRoutes, renderHealingTab } from '../../testUtils/healingConfig';
import { requestsTo } from '../../testUtils/fakeBackendSrv';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';

const user = setupUser();
const limitsBox = () => within(screen.getByTestId(testIds.healingConfig.limits));

// Pasted, not typed: each keystroke re-renders the whole tab, seconds apiece on a busy machine.
async function retype(label: RegExp, text: string) {
  const input = limitsBox().getByLabelText(label);
  await user.clear(input);
  await user.paste(text);
}

describe('SafetyLimitsEditor', () => {
  it('edits workload and node disruption, notifications, the storm threshold and the circuit breaker, and saves them', async () => {
    const fetch = healingRoutes();
    renderHealingTab();
    await screen.findByTestId(testIds.healingConfig.limits);
    // What the backend answered, defaults included; the workload limits are unset (not limited).
    expect(limitsBox().getByLabelText(/^Ready floor/)).toHaveValue(51);
    expect(limitsBox().getByLabelText(/^Storm threshold/)).toHaveValue(50);
    expect(limitsBox().getByLabelText(/^Repeats/)).toHaveValue(3);
    expect(limitsBox().getByLabelText(/^Window \(seconds\)/)).toHaveValue(86400);
    expect(limitsBox().getByLabelText(/^Pods down at once/)).toHaveValue(null);
    expect(limitsBox().getByLabelText(/^Repeat interval/)).toHaveValue(14400);
    expect(limitsBox().getByLabelText(/^Notifications per hour/)).toHaveValue(20);

    await retype(/^Pods down at once/, '25');
    await retype(/^Healthy floor/, '75');
    await retype(/^Nodes at a time \(%\)/, '20');
    await retype(/^Ready floor/, '150');
    expect(limitsBox().getByText('Must be at most 100')).toBeInTheDocument();
    expect(screen.getByTestId(testIds.healingConfig.save)).toBeDisabled();
    await retype(/^Ready floor/, '60');
    await retype(/^Storm threshold/, '0');
    expect(limitsBox().getByText('Must be at least 1')).toBeInTheDocument();
    await retype(/^Storm threshold/, '30');
    await retype(/^Repeat interval/, '100000');
    expect(limitsBox().getByText('Must be at most 86400')).toBeInTheDocument();
    await retype(/^Repeat interval/, '3600');
    await retype(/^Notifications per hour/, '5');
    await retype(/^Repeats/, '5');
    await retype(/^Window \(seconds\)/, '3600');
    expect(limitsBox().queryByText(/^Must be/)).not.toBeInTheDocument();

    await user.click(screen.getByTestId(testIds.healingConfig.save));
    // Only the limits changed: only they were sent, and only they are said saved.
    expect(await screen.findByTestId(testIds.healingConfig.saveSuccess)).toHaveTextContent(
      /Saved the safety limits\.$/
    );
    expect(requestsTo(fetch, 'PUT', healingPaths.putPolicies)).toHaveLength(0);
    expect(requestsTo(fetch, 'PUT', healingPaths.putLimits)[0].data).toEqual({
      ...defaultLimits,
      workloadDisruption: { maxUnavailablePercent: 25, minHealthyPercent: 75 },
      nodeDisruption: { maxPercent: 20, minReadyPercent: 60 },
      notifications: { repeatIntervalSeconds: 3600, maxPerHour: 5 },
      storm: { maxAlarmingTargets: 30 },
      circuitBreaker: { maxRepeats: 5, windowSeconds: 3600 },
    });
    // Policies were not touched, so they are not rewritten.
    expect(requestsTo(fetch, 'PUT', healingPaths.putPolicies)).toHaveLength(0);
  });
});
