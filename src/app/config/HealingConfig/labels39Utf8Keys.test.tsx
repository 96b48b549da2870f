import { screen, waitFor, within } from '@testing-library/react';
import { putPoliciesBodySchema } from '../../../contract/healing';
import { healingPaths } from '../../api/healing';
import { requestsTo } from '../../testUtils/fakeBackendSrv';
import { healingRoutes, policyBox, renderHealingTab } from '../../testUtils/healingConfig';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';

// Prometheus 3 gives targets UTF-8 label names, and a policy's selectors are matched against them in the
// engine, not sent to Kubernetes: the editor takes what the PUT takes, any name but none.

const user = setupUser();
const save = () => screen.getByTestId(testIds.healingConfig.save);
const invalid = () => screen.queryByTestId(testIds.healingConfig.invalid);
const group = (name: 'Label selectors' | 'Alert labels') => within(policyBox(0).getByRole('group', { name }));

/** Adds a row to the field and pastes its name and value, as a user does (a keystroke re-renders the whole tab). */
async function addRow(field: ReturnType<typeof group>, key: string, value: string) {
  await user.click(field.getByRole('button', { name: 'Add label' }));
  const row = field.getAllByRole('textbox').length / 2;
  for (const [part, text] of [
    ['name', key],
    ['value', value],
  ] as const) {
    if (text !== '') {
      await user.click(field.getByRole('textbox', { name: `Label ${row} ${part}` }));
      await user.paste(text);
    }
  }
}

describe("a policy's label selectors in the healing tab", () => {
  it('take UTF-8 label names, with dots, spaces and accents, and save them as typed', async () => {
    const fetch = healingRoutes();
    renderHealingTab();
    await waitFor(() => policyBox(0));
    await addRow(group('Label selectors'), 'région', 'eu-ouest');
    await addRow(group('Label selectors'), 'service.name', 'cart');
    await addRow(group('Alert labels'), 'k8s.cluster name', 'prod');
    expect(invalid()).not.toBeInTheDocument();

    await user.click(save());
    expect(await screen.findByTestId(testIds.healingConfig.saveSuccess)).toHaveTextContent(/^Saved/);
    const body = requestsTo(fetch, 'PUT', healingPaths.putPolicies)[0].data;
    expect(putPoliciesBodySchema.safeParse(body).success).toBe(true);
    expect(body.policies[0].match).toMatchObject({
      labels: { région: 'eu-ouest', 'service.name': 'cart' },
      alertLabels: { 'k8s.cluster name': 'prod' },
    });
  });

  it('still refuse a value with no name, on the name, and keep Save disabled until it has one', async () => {
    healingRoutes();
    renderHealingTab();
    await waitFor(() => policyBox(0));
    await addRow(group('Label selectors'), '', 'eu-ouest');
    const name = group('Label selectors').getByRole('textbox', { name: 'Label 1 name' });
    expect(name).toHaveAccessibleDescription("Enter the label's name");
    expect(invalid()).toHaveTextContent('1 section has invalid values');
    expect(save()).toBeDisabled();

    await user.click(name);
    await user.paste('région');
    expect(invalid()).not.toBeInTheDocument();
    expect(save()).toBeEnabled();
  });
});
