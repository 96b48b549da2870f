import React from 'react';
import { render, screen } from '@testing-library/react';
import { pendingAction } from '../../testUtils/fixtures';
import { testIds } from '../../testIds';
import { LadderHistory } from './Ladder';

describe('LadderHistory', () => {
  it('says which step of which policy the action is, and what each earlier step ended in', () => {
    const action = pendingAction(13, {
      ladder: {
        policy: 'cart-ladder',
        step: 3,
        steps: 3,
        verifySeconds: 300,
        previous: [
          { actionId: 11, step: 1, type: 'restart', state: 'not_recovered', outcome: 'still above threshold' },
          { actionId: 12, step: 2, type: 'scale', state: 'failed', outcome: 'quota exceeded' },
        ],
      },
    });
    render(<LadderHistory action={action} />);
    expect(screen.getByTestId(testIds.actions.ladder(13))).toHaveTextContent(
      'Step 3 of 3 of the ladder of policy cart-ladder · after #11 restart (not recovered: still above threshold), #12 scale (failed: quota exceeded)'
    );
    expect(screen.getByText('cart-ladder').tagName).toBe('STRONG');
  });

  it('names no earlier step on the first rung, and shows nothing for an action outside a ladder', () => {
    const { unmount } = render(
      <LadderHistory
        action={pendingAction(5, { ladder: { policy: 'p', step: 1, steps: 2, verifySeconds: 60, previous: [] } })}
      />
    );
    expect(screen.getByTestId(testIds.actions.ladder(5))).toHaveTextContent(/^Step 1 of 2 of the ladder of policy p$/);
    unmount();
    const { container } = render(<LadderHistory action={pendingAction(6)} />);
    expect(container).toBeEmptyDOMElement();
  });
});
