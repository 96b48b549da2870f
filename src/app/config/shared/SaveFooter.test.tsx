import React from 'react';
import { render, screen } from '@testing-library/react';
import { setupUser } from '../../testUtils/user';
import { SaveFooter } from './SaveFooter';
import type { SaveState } from './useSaveForm';

const user = setupUser();

const ids = {
  save: 'footer-save',
  saveSuccess: 'footer-saved',
  saveError: 'footer-failed',
  invalid: 'footer-invalid',
  unsaved: 'footer-unsaved',
};

function renderFooter(form: Partial<SaveState> = {}) {
  const onSave = jest.fn();
  render(
    <SaveFooter
      ids={ids}
      text={{ failedTitle: 'Watches not saved', invalidNoun: ['watch', 'watches'], saveLabel: 'Save watches' }}
      form={{ dirty: true, invalidCount: 0, ...form }}
      onSave={onSave}
    />
  );
  return onSave;
}

describe('SaveFooter', () => {
  it('is read-only with a reason: every button of it disabled and described by the reason', async () => {
    const onSave = jest.fn();
    render(
      <SaveFooter
        ids={ids}
        text={{ failedTitle: 'Watches not saved', invalidNoun: ['watch', 'watches'], saveLabel: 'Save watches' }}
        form={{ dirty: true, invalidCount: 0 }}
        onSave={onSave}
        readOnlyReason="Only Admins may save"
      >
        <button>Reset</button>
      </SaveFooter>
    );
    expect(screen.getByText('Only Admins may save')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Save watches' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Reset' })).toBeDisabled();
    expect(screen.getByRole('group', { description: 'Only Admins may save' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Save watches' }));
    expect(onSave).not.toHaveBeenCalled();
  });

  it('saves unsaved changes when the button is pressed', async () => {
    const onSave = renderFooter();
    expect(screen.getByTestId(ids.unsaved)).toHaveTextContent('You have unsaved changes');
    await user.click(screen.getByRole('button', { name: 'Save watches' }));
    expect(onSave).toHaveBeenCalledTimes(1);
  });

  it('has nothing to save without changes', () => {
    renderFooter({ dirty: false });
    expect(screen.getByTestId(ids.save)).toBeDisabled();
    expect(screen.queryByTestId(ids.unsaved)).not.toBeInTheDocument();
  });

  it('waits while another request runs, and says it is saving', () => {
    renderFooter({ busy: 'saving' });
    expect(screen.getByTestId(ids.save)).toBeDisabled();
    expect(screen.getByTestId(ids.save)).toHaveTextContent('Saving…');
  });

  it('waits without saying it is saving while another kind of request runs', () => {
    renderFooter({ busy: 'resetting' });
    expect(screen.getByTestId(ids.save)).toBeDisabled();
    expect(screen.getByTestId(ids.save)).toHaveTextContent('Save watches');
  });

  it.each([
    [1, '1 watch has invalid values'],
    [3, '3 watches have invalid values'],
  ])('blocks saving while %i items are invalid, and says how many', (invalidCount, text) => {
    renderFooter({ invalidCount });
    expect(screen.getByTestId(ids.invalid)).toHaveTextContent(text);
    expect(screen.getByTestId(ids.save)).toBeDisabled();
  });

  it("shows the last save's outcome under the right title", () => {
    renderFooter({ result: { ok: false, message: 'watches.0.query: required' } });
    expect(screen.getByTestId(ids.saveError)).toHaveTextContent('Watches not saved');
    expect(screen.getByTestId(ids.saveError)).toHaveTextContent('watches.0.query: required');
    expect(screen.queryByTestId(ids.saveSuccess)).not.toBeInTheDocument();
  });

  it('says Saved after a successful save', () => {
    renderFooter({ dirty: false, result: { ok: true, message: '2 watches saved' } });
    expect(screen.getByTestId(ids.saveSuccess)).toHaveTextContent('Saved');
    expect(screen.getByTestId(ids.saveSuccess)).toHaveTextContent('2 watches saved');
    expect(screen.queryByTestId(ids.invalid)).not.toBeInTheDocument();
  });
});
