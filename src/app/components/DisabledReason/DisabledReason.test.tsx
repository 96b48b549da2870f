import React from 'react';
import { render, screen } from '@testing-library/react';
import { setupUser } from '../../testUtils/user';
import { DisabledReason, useDisabledReason } from './DisabledReason';

const user = setupUser();

/** Two buttons disabled by one reason, as the pages use it. */
function Controls({ reason, onClick }: { reason?: string; onClick: () => void }) {
  const readOnly = useDisabledReason(reason);
  return (
    <div>
      {['First', 'Second'].map((name) => (
        <button key={name} disabled={readOnly.disabled} aria-describedby={readOnly.describedBy} onClick={onClick}>
          {name}
        </button>
      ))}
      <DisabledReason of={readOnly} />
    </div>
  );
}

describe('DisabledReason', () => {
  it('shows the reason, and disables and describes every control with it: none can be activated', async () => {
    const onClick = jest.fn();
    render(<Controls reason="Only Editors can do this." onClick={onClick} />);
    expect(screen.getByText('Only Editors can do this.')).toBeVisible();
    for (const name of ['First', 'Second']) {
      const button = screen.getByRole('button', { name, description: 'Only Editors can do this.' });
      expect(button).toBeDisabled();
      await user.click(button);
      button.focus();
      await user.keyboard('{Enter} ');
    }
    expect(onClick).not.toHaveBeenCalled();
  });

  it('without a reason shows nothing and leaves the controls enabled and undescribed', async () => {
    const onClick = jest.fn();
    const { container } = render(<Controls onClick={onClick} />);
    expect(container).toHaveTextContent(/^FirstSecond$/);
    const button = screen.getByRole('button', { name: 'First' });
    expect(button).not.toHaveAccessibleDescription();
    await user.click(button);
    expect(onClick).toHaveBeenCalledTimes(1);
  });
});
