import React, { useState } from 'react';
import { render, screen } from '@testing-library/react';
import { setupUser } from '../../testUtils/user';
import { NumberField } from './NumberField';

/** The field as an editor holds it: every value it was set to, in order. */
function Editor({ initial, error, seen }: { initial?: number; error?: string; seen: Array<number | undefined> }) {
  const [value, setValue] = useState(initial);
  return (
    <NumberField
      label="Replicas at most"
      id="ceiling"
      value={value}
      error={error}
      set={(v) => {
        seen.push(v);
        setValue(v);
      }}
    />
  );
}

describe('NumberField', () => {
  it('hands over a number as typed, and undefined (not 0) when emptied', async () => {
    const user = setupUser();
    const seen: Array<number | undefined> = [];
    render(<Editor initial={4} seen={seen} />);
    const input = screen.getByLabelText('Replicas at most');
    expect(input).toHaveValue(4);
    await user.clear(input);
    expect(seen).toEqual([undefined]);
    expect(input).toHaveValue(null);
    await user.type(input, '12');
    expect(seen).toEqual([undefined, 1, 12]);
  });

  it('shows its error only while it has one', () => {
    const { rerender } = render(<Editor error="must be at least 1" seen={[]} />);
    expect(screen.getByText('must be at least 1')).toBeInTheDocument();
    rerender(<Editor seen={[]} />);
    expect(screen.queryByText('must be at least 1')).not.toBeInTheDocument();
  });
});
