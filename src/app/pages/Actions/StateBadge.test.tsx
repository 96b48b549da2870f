import React from 'react';
import { render, screen } from '@testing-library/react';
import { StateBadge } from './StateBadge';

describe('StateBadge', () => {
  it.each([
    ['awaiting_approval', 'Awaiting approval'],
    ['verified', 'Verified: recovered'],
    ['not_recovered', 'Not recovered'],
    ['dry_run', 'Dry run'],
  ] as const)('shows the state %s in words', (state, text) => {
    const { container } = render(<StateBadge state={state} />);
    expect(screen.getByText(text)).toBeInTheDocument();
    expect(container).toHaveTextContent(new RegExp(`^${text}$`));
  });
});
