import React, { useState } from 'react';
import { render, screen } from '@testing-library/react';
import { setupUser } from '../../testUtils/user';
import { TagsField } from './TagsField';

/** The field as an editor holds it: every list it was set to, in order. */
function Editor({ error, seen }: { error?: string; seen: string[][] }) {
  const [tags, setTags] = useState(['shop']);
  return (
    <TagsField
      label="Namespaces"
      id="namespaces"
      error={error}
      tags={tags}
      set={(next) => {
        seen.push(next);
        setTags(next);
      }}
    />
  );
}

describe('TagsField', () => {
  it('adds a word on Enter and one left typed when the field loses focus', async () => {
    const user = setupUser();
    const seen: string[][] = [];
    render(<Editor seen={seen} />);
    const input = screen.getByLabelText('Namespaces');
    await user.type(input, 'cart{Enter}');
    expect(seen).toEqual([['shop', 'cart']]);
    await user.type(input, 'web');
    await user.tab();
    expect(seen).toEqual([
      ['shop', 'cart'],
      ['shop', 'cart', 'web'],
    ]);
  });

  it('shows its error only while it has one', () => {
    const { rerender } = render(<Editor error="not a namespace name" seen={[]} />);
    expect(screen.getByText('not a namespace name')).toBeInTheDocument();
    rerender(<Editor seen={[]} />);
    expect(screen.queryByText('not a namespace name')).not.toBeInTheDocument();
  });
});
