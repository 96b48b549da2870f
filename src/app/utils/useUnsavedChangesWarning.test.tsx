import React, { useState } from 'react';
import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { locationService } from '@grafana/runtime';
import { UNSAVED_CHANGES_MESSAGE, useUnsavedChangesWarning } from './useUnsavedChangesWarning';

function Form() {
  const [dirty, setDirty] = useState(false);
  useUnsavedChangesWarning(dirty);
  return (
    <>
      <button onClick={() => setDirty(true)}>Edit</button>
      <button onClick={() => setDirty(false)}>Save</button>
    </>
  );
}

const navigate = (path: string) => act(() => locationService.push(path));
const path = () => locationService.getLocation().pathname;

describe('useUnsavedChangesWarning', () => {
  let confirm: jest.SpyInstance<boolean, [message?: string]>;

  beforeEach(() => {
    locationService.replace('/plugins/failureprophet-healing-app');
    confirm = jest.spyOn(window, 'confirm');
  });
  afterEach(() => confirm.mockRestore());

  it('asks before navigating in the app while dirty, and stays when refused', async () => {
    render(<Form />);
    await userEvent.click(screen.getByRole('button', { name: 'Edit' }));
    confirm.mockReturnValue(false);
    navigate('/a/failureprophet-healing-app/overview');
    expect(confirm).toHaveBeenCalledWith(UNSAVED_CHANGES_MESSAGE);
    expect(path()).toBe('/plugins/failureprophet-healing-app');

    confirm.mockReturnValue(true);
    navigate('/a/failureprophet-healing-app/overview');
    expect(confirm).toHaveBeenCalledTimes(2);
    expect(path()).toBe('/a/failureprophet-healing-app/overview');
  });

  it('navigates without asking when clean, after saving, and after the page is gone', async () => {
    const { unmount } = render(<Form />);
    navigate('/a/failureprophet-healing-app/actions');
    expect(path()).toBe('/a/failureprophet-healing-app/actions');

    await userEvent.click(screen.getByRole('button', { name: 'Edit' }));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    navigate('/a/failureprophet-healing-app/audit');
    expect(path()).toBe('/a/failureprophet-healing-app/audit');

    await userEvent.click(screen.getByRole('button', { name: 'Edit' }));
    unmount();
    navigate('/a/failureprophet-healing-app/models');
    expect(path()).toBe('/a/failureprophet-healing-app/models');
    expect(confirm).not.toHaveBeenCalled();
  });

  it('asks the browser to confirm closing or reloading the tab while dirty', async () => {
    render(<Form />);
    const before = () => {
      const event = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(event);
      return event.defaultPrevented;
    };
    expect(before()).toBe(false);
    await userEvent.click(screen.getByRole('button', { name: 'Edit' }));
    expect(before()).toBe(true);
  });
});
