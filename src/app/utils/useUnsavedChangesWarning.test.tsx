import React, { useState } from 'react';
import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { locationService } from '@grafana/runtime';
import { UNSAVED_CHANGES_MESSAGE, UnsavedChangesModal, useUnsavedChangesWarning } from './useUnsavedChangesWarning';

function Form({ modal = true }: { modal?: boolean }) {
  const [dirty, setDirty] = useState(false);
  useUnsavedChangesWarning(dirty);
  return (
    <>
      <button onClick={() => setDirty(true)}>Edit</button>
      <button onClick={() => setDirty(false)}>Save</button>
      {modal && <UnsavedChangesModal />}
    </>
  );
}

const navigate = (path: string) => act(() => locationService.push(path));
const path = () => locationService.getLocation().pathname;
const dialog = () => screen.getByRole('dialog');

describe('useUnsavedChangesWarning', () => {
  let confirm: jest.SpyInstance<boolean, [message?: string]>;

  beforeEach(() => {
    locationService.replace('/plugins/failureprophet-healing-app');
    // Native dialogs are refused by Grafana's plugin validator: none may be opened.
    confirm = jest.spyOn(window, 'confirm').mockReturnValue(true);
  });
  afterEach(() => {
    expect(confirm).not.toHaveBeenCalled();
    confirm.mockRestore();
  });

  it("asks in Grafana's ConfirmModal before navigating in the app while dirty; Stay stays", async () => {
    render(<Form />);
    await userEvent.click(screen.getByRole('button', { name: 'Edit' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();

    navigate('/a/failureprophet-healing-app/overview');
    expect(dialog()).toHaveTextContent(UNSAVED_CHANGES_MESSAGE);
    expect(path()).toBe('/plugins/failureprophet-healing-app');

    await userEvent.click(within(dialog()).getByRole('button', { name: 'Stay' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(path()).toBe('/plugins/failureprophet-healing-app');
    // Still dirty: the next navigation asks again.
    navigate('/a/failureprophet-healing-app/actions');
    expect(dialog()).toBeInTheDocument();
  });

  it('goes where the user was going once they choose to leave, replaying a replace as a replace', async () => {
    render(<Form />);
    await userEvent.click(screen.getByRole('button', { name: 'Edit' }));
    navigate('/a/failureprophet-healing-app/overview');
    await userEvent.click(within(dialog()).getByRole('button', { name: 'Leave' }));
    expect(path()).toBe('/a/failureprophet-healing-app/overview');
    expect(locationService.getHistory().action).toBe('PUSH');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();

    // The form is still there and dirty (a navigation that kept the page): it still asks.
    act(() => locationService.replace('/plugins/failureprophet-healing-app?page=watches'));
    expect(dialog()).toBeInTheDocument();
    expect(locationService.getLocation().search).toBe('');
    await userEvent.click(within(dialog()).getByRole('button', { name: 'Leave' }));
    expect(locationService.getLocation()).toMatchObject({
      pathname: '/plugins/failureprophet-healing-app',
      search: '?page=watches',
    });
    expect(locationService.getHistory().action).toBe('REPLACE');
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
  });

  it('closes the question when the changes are gone before the user answers', async () => {
    render(<Form />);
    await userEvent.click(screen.getByRole('button', { name: 'Edit' }));
    navigate('/a/failureprophet-healing-app/overview');
    expect(dialog()).toBeInTheDocument();
    // The form saved (say, a request that was still running) while the question was open.
    await userEvent.click(screen.getByRole('button', { name: 'Save', hidden: true }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(path()).toBe('/plugins/failureprophet-healing-app');
  });

  it('lets the navigation through rather than trap the user when the page renders no modal to ask with', async () => {
    render(<Form modal={false} />);
    await userEvent.click(screen.getByRole('button', { name: 'Edit' }));
    navigate('/a/failureprophet-healing-app/overview');
    expect(path()).toBe('/a/failureprophet-healing-app/overview');
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
