import { screen, waitFor, within } from '@testing-library/react';
import { healingPaths } from '../../api/healing';
import { requestsTo } from '../../testUtils/fakeBackendSrv';
import { healingRoutes as routes, policyBox, renderHealingTab as renderTab } from '../../testUtils/healingConfig';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';

const user = setupUser();
const save = () => screen.getByTestId(testIds.healingConfig.save);
const invalid = () => screen.queryByTestId(testIds.healingConfig.invalid);
const limitsBox = () => within(screen.getByTestId(testIds.healingConfig.limits));

/** Adds a word as a user pastes it and presses Enter: pasted, since each keystroke re-renders the whole tab. */
async function add(field: HTMLElement, word: string) {
  await user.click(field);
  await user.paste(word);
  await user.keyboard('{Enter}');
}

/** Adds a label row to the field and enters its name and value, each pasted. */
async function addLabel(field: ReturnType<typeof within>, key: string, value: string) {
  await user.click(field.getByRole('button', { name: 'Add label' }));
  const row = field.getAllByRole('textbox').length / 2;
  await add(field.getByRole('textbox', { name: `Label ${row} name` }), key);
  await add(field.getByRole('textbox', { name: `Label ${row} value` }), value);
}

const labelsOf = (policy: ReturnType<typeof within>, name: 'Label selectors' | 'Alert labels') =>
  within(policy.getByRole('group', { name }));

// A namespace and a label key's name have up to 63 characters, a label key's prefix 253.
const namespace = `shop-${'n'.repeat(58)}`;
const prefix = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
const key = `${prefix}/${'k'.repeat(63)}`;

describe('the tag fields of the healing tab', () => {
  it('take the longest names Kubernetes gives, past the 50 characters TagsInput took, and save them', async () => {
    const fetch = routes();
    renderTab();
    const policy = await waitFor(() => policyBox(0));
    await add(policy.getByLabelText(/^Namespaces/), namespace);
    await addLabel(labelsOf(policy, 'Label selectors'), key, 'v'.repeat(63));
    await addLabel(labelsOf(policy, 'Alert labels'), 'alertname', 'A'.repeat(63));
    await add(limitsBox().getByLabelText(/^Namespace deny-list/), namespace);
    expect(invalid()).not.toBeInTheDocument();
    await user.click(save());
    expect(await screen.findByTestId(testIds.healingConfig.saveSuccess)).toHaveTextContent(
      'Saved 2 policies and the safety limits.'
    );
    expect(requestsTo(fetch, 'PUT', healingPaths.putPolicies)[0].data.policies[0].match).toEqual({
      severities: ['critical'],
      namespaces: [namespace],
      labels: { [key]: 'v'.repeat(63) },
      alertLabels: { alertname: 'A'.repeat(63) },
    });
    expect(requestsTo(fetch, 'PUT', healingPaths.putLimits)[0].data.namespaces.deny).toEqual([
      'kube-system',
      namespace,
    ]);
  });

  it('count a label selector without a value as invalid: Save is disabled with the reason until it is given', async () => {
    const fetch = routes();
    renderTab();
    const policy = await waitFor(() => policyBox(0));
    await add(policy.getByLabelText(/^Namespaces/), 'shop');
    expect(save()).toBeEnabled();
    const labels = labelsOf(policy, 'Label selectors');
    await addLabel(labels, 'app', '');
    expect(labels.getByText('Enter the value the label must equal')).toBeInTheDocument();
    expect(invalid()).toHaveTextContent('1 section has invalid values');
    expect(save()).toBeDisabled();

    await add(labels.getByRole('textbox', { name: 'Label 1 value' }), 'cart');
    expect(invalid()).not.toBeInTheDocument();
    await user.click(save());
    await screen.findByTestId(testIds.healingConfig.saveSuccess);
    expect(requestsTo(fetch, 'PUT', healingPaths.putPolicies)).toHaveLength(1);
    expect(requestsTo(fetch, 'PUT', healingPaths.putPolicies)[0].data.policies[0].match).toEqual({
      severities: ['critical'],
      namespaces: ['shop'],
      labels: { app: 'cart' },
    });
  });

  it('count the section holding a refused word once, and no more once the word goes with its policy', async () => {
    routes();
    renderTab();
    const policy = await waitFor(() => policyBox(1));
    await user.clear(policy.getByLabelText(/^Name\s*\*?$/));
    // Any UTF-8 name is a label's; one longer than POST /api/alerts takes is no alert's.
    await addLabel(labelsOf(policy, 'Alert labels'), 'a'.repeat(129), 'Watchdog');
    expect(policy.getByText('Required')).toBeInTheDocument();
    expect(
      policy.getByText(
        "An alert's label names are at most 128 characters (this one has 129): no alert carries a longer one"
      )
    ).toBeInTheDocument();
    expect(invalid()).toHaveTextContent('1 section has invalid values');

    const deny = limitsBox().getByLabelText(/^Namespace deny-list/);
    await add(deny, 'Staging');
    expect(limitsBox().getByText(/^"Staging" is not a namespace name/)).toBeInTheDocument();
    expect(invalid()).toHaveTextContent('2 sections have invalid values');

    await user.click(policy.getByRole('button', { name: 'Delete Policy 2' }));
    expect(invalid()).toHaveTextContent('1 section has invalid values');
    await user.clear(deny);
    expect(invalid()).not.toBeInTheDocument();
    expect(save()).toBeEnabled();
  });
});
