import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import type { PolicyInput } from '../../../contract/healing';
import { chooseOption, installComboboxLayout } from '../../testUtils/combobox';
import { setupUser } from '../../testUtils/user';
import { ActionFields, GateField, actionLabel, gateDescription } from './PolicyActionFields';

const user = setupUser();
installComboboxLayout();

type ActionInput = PolicyInput['action'];

function renderFields(action: ActionInput, errors: Record<string, string> = {}) {
  const onChange = jest.fn();
  render(
    <ActionFields
      id={(field) => `p0-${field}`}
      action={action}
      path="steps.0.action"
      error={(path) => errors[path]}
      onChange={onChange}
    />
  );
  return onChange;
}

describe('actionLabel and gateDescription', () => {
  it('names each action and explains each gate, approval when none is set', () => {
    expect(actionLabel('delete-pod')).toBe('Delete pod');
    expect(actionLabel('drain')).toBe('Drain node');
    expect(gateDescription(undefined)).toBe('Waits for an Editor in Grafana');
    expect(gateDescription('auto')).toBe('Runs at once, within the safety limits');
    expect(gateDescription('dry-run')).toBe('Never runs; the dry run is recorded');
  });
});

describe('ActionFields', () => {
  it("shows a scale's numbers with the errors found at this action's path", () => {
    renderFields({ type: 'scale', delta: 2 }, { 'steps.0.action.replicas': 'either delta or replicas, not both' });
    expect(screen.getByLabelText(/^Add replicas/)).toHaveValue(2);
    expect(screen.getByLabelText(/^Or set replicas to/)).toHaveValue(null);
    expect(screen.getByLabelText(/^Replica ceiling/)).toBeInTheDocument();
    expect(screen.getByText('either delta or replicas, not both')).toBeInTheDocument();
    expect(screen.queryByLabelText(/^Timeout/)).not.toBeInTheDocument();
  });

  it('keeps the other parameters when one changes, and unsets an emptied number', () => {
    const onChange = renderFields({ type: 'scale', delta: 2, ceiling: 8 });
    fireEvent.change(screen.getByLabelText(/^Or set replicas to/), { target: { value: '5' } });
    expect(onChange).toHaveBeenLastCalledWith({ type: 'scale', delta: 2, ceiling: 8, replicas: 5 });
    fireEvent.change(screen.getByLabelText(/^Add replicas/), { target: { value: '' } });
    expect(onChange).toHaveBeenLastCalledWith({ type: 'scale', delta: undefined, ceiling: 8 });
  });

  it('asks a drain for its timeout, grace and whether unmanaged pods may go', async () => {
    const onChange = renderFields(
      { type: 'drain', timeoutSeconds: 300 },
      { 'steps.0.action.timeoutSeconds': 'Too long' }
    );
    expect(screen.getByLabelText(/^Timeout \(seconds\)/)).toHaveValue(300);
    expect(screen.getByText('Too long')).toBeInTheDocument();
    expect(screen.getByLabelText(/^Max grace period/)).toBeInTheDocument();
    await user.click(screen.getByLabelText(/^Evict unmanaged pods/));
    expect(onChange).toHaveBeenLastCalledWith({ type: 'drain', timeoutSeconds: 300, evictUnmanaged: true });
  });

  it('asks a drain whether emptyDir data may be deleted, saying the data is lost', async () => {
    const onChange = renderFields({ type: 'drain', evictUnmanaged: true });
    const deleteData = screen.getByLabelText(/^Delete emptyDir data/);
    expect(deleteData).not.toBeChecked();
    expect(screen.getByText(/emptyDir volumes are evicted: the data is lost/)).toBeInTheDocument();
    await user.click(deleteData);
    expect(onChange).toHaveBeenLastCalledWith({ type: 'drain', evictUnmanaged: true, deleteEmptyDirData: true });
  });

  it('shows a stored drain that deletes emptyDir data as such, and unsets it', async () => {
    const onChange = renderFields({ type: 'drain', deleteEmptyDirData: true });
    const deleteData = screen.getByLabelText(/^Delete emptyDir data/);
    expect(deleteData).toBeChecked();
    expect(screen.getByLabelText(/^Evict unmanaged pods/)).not.toBeChecked();
    await user.click(deleteData);
    expect(onChange).toHaveBeenLastCalledWith({ type: 'drain', deleteEmptyDirData: false });
  });

  it("edits a notification's message, and an emptied message is unset", () => {
    const onChange = renderFields({ type: 'notify', message: 'hi' });
    const message = screen.getByLabelText(/^Message/);
    expect(message).toHaveValue('hi');
    fireEvent.change(message, { target: { value: '{summary} on {target}' } });
    expect(onChange).toHaveBeenLastCalledWith({ type: 'notify', message: '{summary} on {target}' });
    fireEvent.change(message, { target: { value: '' } });
    expect(onChange).toHaveBeenLastCalledWith({ type: 'notify', message: undefined });
  });

  it('asks a restart for nothing more, and a new type starts without the old parameters', async () => {
    const onChange = renderFields({ type: 'restart' });
    expect(screen.queryAllByRole('spinbutton')).toHaveLength(0);
    const action = screen.getByRole('combobox', { name: 'Action' });
    expect(action).toHaveValue('Rolling restart');
    await chooseOption(user, action, 'Delete pod');
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenLastCalledWith({ type: 'delete-pod' });
  });
});

describe('GateField', () => {
  it('shows approval when no gate is set, and reports the chosen gate', async () => {
    const onChange = jest.fn();
    render(<GateField id="gate-0" onChange={onChange} />);
    expect(screen.getByLabelText('Approval')).toBeChecked();
    expect(screen.getByText('Waits for an Editor in Grafana')).toBeInTheDocument();
    await user.click(screen.getByLabelText('Automatic'));
    expect(onChange).toHaveBeenCalledWith('auto');
  });
});
