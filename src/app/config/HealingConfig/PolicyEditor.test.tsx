import React from 'react';
import { render, screen, within } from '@testing-library/react';
import type { PolicyInput } from '../../../contract/healing';
import { healingPaths } from '../../api/healing';
import type { FieldErrors } from '../../utils/validation';
import { chooseOption, installComboboxLayout } from '../../testUtils/combobox';
import { requestsTo } from '../../testUtils/fakeBackendSrv';
import { healingRoutes, policyBox, renderHealingTab } from '../../testUtils/healingConfig';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';
import { PolicyEditor } from './PolicyEditor';

const user = setupUser();
installComboboxLayout();

function renderEditor(policy: PolicyInput, errors: FieldErrors = {}, index = 1) {
  const onChange = jest.fn();
  render(
    <PolicyEditor
      uid="u1"
      index={index}
      count={3}
      policy={policy}
      errors={errors}
      onChange={onChange}
      onMove={jest.fn()}
      onDelete={jest.fn()}
    />
  );
  return onChange;
}

describe('PolicyEditor', () => {
  it('numbers the policy, names an unnamed one, and marks a disabled one', () => {
    renderEditor({ name: '', enabled: false, action: { type: 'restart' } }, { name: 'Required' });
    const card = screen.getByRole('region', { name: 'Policy Policy 2' });
    expect(card).toHaveTextContent('2. Policy 2');
    expect(screen.getByText('Disabled')).toBeInTheDocument();
    expect(screen.getByText('Required')).toBeInTheDocument();
    expect(screen.getByLabelText(/^Enabled/)).not.toBeChecked();
  });

  it('drops a condition set back to any, so the saved match says what it means', async () => {
    const onChange = renderEditor({ name: 'p', action: { type: 'restart' }, match: { source: 'alert' } });
    expect(screen.getByLabelText('Alerts')).toBeChecked();
    await user.click(screen.getByLabelText('Any'));
    expect(onChange).toHaveBeenLastCalledWith({ name: 'p', action: { type: 'restart' }, match: {} });
  });

  it('refuses a label selector without a value and says what is missing', async () => {
    const onChange = renderEditor({ name: 'p', action: { type: 'restart' } });
    const selectors = within(screen.getByRole('group', { name: 'Label selectors' }));
    await user.click(selectors.getByRole('button', { name: 'Add label' }));
    await user.type(selectors.getByRole('textbox', { name: 'Label 1 name' }), 'app');
    expect(selectors.getByRole('textbox', { name: 'Label 1 value' })).toHaveAccessibleDescription(
      'Enter the value the label must equal'
    );
    expect(onChange).toHaveBeenLastCalledWith({
      name: 'p',
      action: { type: 'restart' },
      match: { labels: { app: '' } },
    });
  });

  it('turns the rows into the match labels, each name and value as typed', async () => {
    const onChange = renderEditor({ name: 'p', action: { type: 'restart' } });
    const alerts = within(screen.getByRole('group', { name: 'Alert labels' }));
    await user.click(alerts.getByRole('button', { name: 'Add label' }));
    await user.type(alerts.getByRole('textbox', { name: 'Label 1 name' }), 'alertname');
    await user.type(alerts.getByRole('textbox', { name: 'Label 1 value' }), 'a=b ');
    expect(onChange).toHaveBeenLastCalledWith({
      name: 'p',
      action: { type: 'restart' },
      match: { alertLabels: { alertname: 'a=b ' } },
    });
  });

  it('asks for an approval timeout only when a proposal can wait for one', () => {
    renderEditor({ name: 'p', action: { type: 'restart' }, gate: 'auto' }, {}, 0);
    expect(screen.queryByLabelText(/^Approval timeout/)).not.toBeInTheDocument();
    renderEditor({ name: 'q', action: { type: 'restart' }, gate: 'approve', approvalTimeoutSeconds: 90 }, {}, 1);
    expect(screen.getByLabelText(/^Approval timeout/)).toHaveValue(90);
  });

  it('edits the name and the first action as parts of the policy', async () => {
    const onChange = renderEditor({ name: 'p', action: { type: 'scale', delta: 1 }, gate: 'approve' });
    await user.type(screen.getByLabelText(/^Name\s*\*?$/), 'x');
    expect(onChange).toHaveBeenLastCalledWith({ name: 'px', action: { type: 'scale', delta: 1 }, gate: 'approve' });
    await user.click(screen.getByLabelText('Automatic'));
    expect(onChange).toHaveBeenLastCalledWith({ name: 'p', action: { type: 'scale', delta: 1 }, gate: 'auto' });
  });

  it('adds a chosen severity to those the policy matches, and removing the last one matches any', async () => {
    const onChange = renderEditor({ name: 'p', action: { type: 'restart' }, match: { severities: ['critical'] } });
    const severities = screen.getByRole('combobox', { name: /^Severities/ });
    await chooseOption(user, severities, 'high');
    expect(onChange).toHaveBeenLastCalledWith({
      name: 'p',
      action: { type: 'restart' },
      match: { severities: ['critical', 'high'] },
    });
    await user.keyboard('{Escape}');
    await user.click(screen.getByRole('button', { name: 'Remove critical' }));
    expect(onChange).toHaveBeenLastCalledWith({ name: 'p', action: { type: 'restart' }, match: {} });
  });

  it('matches the failure models chosen, by their names in the contract', async () => {
    const onChange = renderEditor({ name: 'p', action: { type: 'restart' } });
    await chooseOption(user, screen.getByRole('combobox', { name: /^Failure models/ }), 'resource exhaustion');
    expect(onChange).toHaveBeenLastCalledWith({
      name: 'p',
      action: { type: 'restart' },
      match: { failureModels: ['resource_exhaustion'] },
    });
  });
});

describe('PolicyEditor in the healing tab', () => {
  it('saves the severities, failure models and action chosen in its comboboxes', async () => {
    const fetch = healingRoutes();
    renderHealingTab();
    await screen.findByTestId(testIds.healingConfig.policy(1));
    const box = policyBox(1);
    await chooseOption(user, box.getByRole('combobox', { name: /^Severities/ }), 'medium');
    await user.keyboard('{Escape}');
    await chooseOption(user, box.getByRole('combobox', { name: /^Failure models/ }), 'crash');
    await user.keyboard('{Escape}');
    await chooseOption(user, box.getByRole('combobox', { name: 'Action' }), 'Notify');
    expect(box.getByRole('combobox', { name: 'Action' })).toHaveValue('Notify');
    expect(box.getByLabelText(/^Message/)).toBeInTheDocument();

    await user.click(screen.getByTestId(testIds.healingConfig.save));
    await screen.findByTestId(testIds.healingConfig.saveSuccess);
    const saved = requestsTo(fetch, 'PUT', healingPaths.putPolicies)[0].data.policies[1];
    expect(saved.match).toEqual({ severities: ['high', 'medium'], failureModels: ['crash'] });
    expect(saved.action).toEqual({ type: 'notify' });
  });
});
