import React from 'react';
import { render, screen } from '@testing-library/react';
import type { PolicyInput } from '../../../contract/healing';
import type { FieldErrors } from '../../utils/validation';
import { setupUser } from '../../testUtils/user';
import { PolicyEditor } from './PolicyEditor';

const user = setupUser();

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

  it('refuses a label selector without "=" and says how to write one', async () => {
    const onChange = renderEditor({ name: 'p', action: { type: 'restart' } });
    await user.type(screen.getByLabelText(/^Label selectors/), 'app{enter}');
    expect(screen.getByText('"app" is not a label selector: write key=value')).toBeInTheDocument();
    expect(onChange).not.toHaveBeenCalled();
  });

  it('turns key=value tags into the match labels', async () => {
    const onChange = renderEditor({ name: 'p', action: { type: 'restart' } });
    await user.type(screen.getByLabelText(/^Label selectors/), 'app=cart{enter}');
    expect(onChange).toHaveBeenLastCalledWith({
      name: 'p',
      action: { type: 'restart' },
      match: { labels: { app: 'cart' } },
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
});
