import { screen, waitFor, within } from '@testing-library/react';
import { safetyLimitsSchema } from '../../../contract/healing';
import { healingPaths } from '../../api/healing';
import { requestsTo } from '../../testUtils/fakeBackendSrv';
import { healingRoutes as routes, policyBox, renderHealingTab as renderTab } from '../../testUtils/healingConfig';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';

const user = setupUser();
const save = () => screen.getByTestId(testIds.healingConfig.save);
const limitsBox = () => within(screen.getByTestId(testIds.healingConfig.limits));

/**
 * Clicks Save with the word still typed, as a user does. The press blurs the field, which adds the
 * word; Save must already be enabled as the mouse goes down on it, since a browser need not deliver
 * a click whose press fell on a disabled button (user-event, like Chromium 156, delivers it).
 */
async function clickSave() {
  expect(save()).toBeEnabled();
  await user.click(save());
}

// A word typed into a tag field and not added (no Enter, no blur) before the one click on Save.
describe('HealingConfig with a word left typed in a tag field', () => {
  it.each([
    ['Namespaces', 'shop', { severities: ['critical'], namespaces: ['shop'] }],
    ['Watches', 'node', { severities: ['critical'], watches: ['node'] }],
  ])("saves the word typed into a policy's %s on the first click of Save", async (label, word, match) => {
    const fetch = routes();
    renderTab();
    const field = await waitFor(() => policyBox(0).getByLabelText(new RegExp(`^${label}`)));
    await user.type(field, word);
    expect(screen.getByTestId(testIds.healingConfig.unsaved)).toBeInTheDocument();
    await clickSave();
    expect(await screen.findByTestId(testIds.healingConfig.saveSuccess)).toHaveTextContent('Saved 2 policies.');
    expect(requestsTo(fetch, 'PUT', healingPaths.putPolicies)[0].data.policies[0].match).toEqual(match);
    expect(requestsTo(fetch, 'PUT', healingPaths.putLimits)).toHaveLength(0);
    expect(screen.queryByTestId(testIds.healingConfig.unsaved)).not.toBeInTheDocument();
  });

  it('saves a namespace typed into the deny-list, and one into the allow-list, each on the first click', async () => {
    const only = safetyLimitsSchema.parse({ namespaces: { allow: ['shop'], deny: ['kube-system'] } });
    const fetch = routes({ [`GET ${healingPaths.limits}`]: { data: { limits: only, source: 'store' } } });
    renderTab();
    await user.type(await waitFor(() => limitsBox().getByLabelText(/^Namespace deny-list/)), 'staging');
    await clickSave();
    expect(await screen.findByTestId(testIds.healingConfig.saveSuccess)).toHaveTextContent('Saved the safety limits.');
    expect(requestsTo(fetch, 'PUT', healingPaths.putLimits)[0].data.namespaces).toEqual({
      allow: ['shop'],
      deny: ['kube-system', 'staging'],
    });

    await user.type(screen.getByPlaceholderText('Namespace (enter to add)'), 'web');
    await clickSave();
    await waitFor(() => expect(requestsTo(fetch, 'PUT', healingPaths.putLimits)).toHaveLength(2));
    expect(requestsTo(fetch, 'PUT', healingPaths.putLimits)[1].data.namespaces.allow).toEqual(['shop', 'web']);
    expect(requestsTo(fetch, 'PUT', healingPaths.putPolicies)).toHaveLength(0);
  });

  it('asks before the tab is closed or reloaded with the word, which no blur adds then', async () => {
    routes();
    renderTab();
    await user.type(await waitFor(() => policyBox(1).getByLabelText(/^Watches/)), 'node');
    expect(screen.getByTestId(testIds.healingConfig.unsaved)).toBeInTheDocument();
    const unload = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(unload);
    expect(unload.defaultPrevented).toBe(true);
  });

  it('sends nothing for a word the press on Save makes its field refuse, and says why instead', async () => {
    const fetch = routes();
    renderTab();
    const deny = await waitFor(() => limitsBox().getByLabelText(/^Namespace deny-list/));
    await user.click(deny);
    await user.paste('n'.repeat(64));
    // The word counts as unsaved, so Save is enabled; the press's blur refuses it, which then counts as invalid.
    await clickSave();
    expect(deny).toHaveValue('n'.repeat(64));
    expect(limitsBox().getByText('A namespace name is at most 63 characters (this one has 64)')).toBeInTheDocument();
    expect(screen.getByTestId(testIds.healingConfig.invalid)).toHaveTextContent('1 section has invalid values');
    expect(save()).toBeDisabled();
    expect(requestsTo(fetch, 'PUT', healingPaths.putLimits)).toHaveLength(0);
    expect(requestsTo(fetch, 'PUT', healingPaths.putPolicies)).toHaveLength(0);
    expect(screen.queryByTestId(testIds.healingConfig.saveSuccess)).not.toBeInTheDocument();
    expect(screen.getByTestId(testIds.healingConfig.unsaved)).toBeInTheDocument();
  });
});
