import React, { useState } from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import { setupUser } from '../../testUtils/user';
import { FormTagsInput } from './FormTagsInput';
import { TypedWordsProvider, useTypedWords } from './typedWords';

const user = setupUser();

/** A form around one tag field, showing whether it counts a typed word; the field can be taken away. */
function Form({ initial }: { initial: string[] }) {
  const words = useTypedWords();
  const [tags, setTags] = useState(initial);
  const [shown, setShown] = useState(true);
  return (
    <TypedWordsProvider value={words.report}>
      <label htmlFor="namespaces">Namespaces</label>
      {shown && <FormTagsInput id="namespaces" tags={tags} onChange={setTags} />}
      <output data-testid="typing">{String(words.typing)}</output>
      <output data-testid="tags">{tags.join(',')}</output>
      <button onClick={() => setShown(false)}>Hide the field</button>
    </TypedWordsProvider>
  );
}

const typing = () => screen.getByTestId('typing').textContent;
const tags = () => screen.getByTestId('tags').textContent;
const box = () => screen.getByLabelText('Namespaces');

describe('FormTagsInput', () => {
  it('counts a typed word as a change until Enter adds it, and again once typed anew', async () => {
    render(<Form initial={['shop']} />);
    expect(typing()).toBe('false');
    await user.type(box(), 'cart');
    expect(typing()).toBe('true');
    await user.keyboard('{Enter}');
    expect([tags(), typing()]).toEqual(['shop,cart', 'false']);
    await user.type(box(), 'web');
    expect(typing()).toBe('true');
    await user.clear(box());
    expect(typing()).toBe('false');
  });

  it('adds the word when the field loses focus, which then counts no more', async () => {
    render(<Form initial={[]} />);
    await user.type(box(), 'cart');
    await user.tab();
    expect([tags(), typing()]).toEqual(['cart', 'false']);
  });

  it('keeps counting a word TagsInput refuses (over 50 characters), through the blur and a tag removed', async () => {
    render(<Form initial={['shop', 'cart']} />);
    const long = 'n'.repeat(51);
    await user.type(box(), long);
    await user.click(screen.getByRole('button', { name: 'Remove tag: shop' }));
    expect([tags(), typing()]).toEqual(['cart', 'true']);
    expect(box()).toHaveValue(long);
  });

  it('does not count a word the list already has, nor one TagsInput dropped as a duplicate', async () => {
    render(<Form initial={['shop']} />);
    await user.type(box(), 'shop');
    expect(typing()).toBe('false');
    // TagsInput empties its box without changing the list; removing the tag then leaves nothing typed.
    await user.keyboard('{Enter}');
    expect(box()).toHaveValue('');
    await user.click(screen.getByRole('button', { name: 'Remove tag: shop' }));
    expect([tags(), typing()]).toEqual(['', 'false']);
  });

  it('stops counting the word when the field goes away with it', async () => {
    render(<Form initial={[]} />);
    await user.type(box(), 'cart');
    expect(typing()).toBe('true');
    // A user's click would blur the field (adding the word) first: a bare click event hides it with the word.
    fireEvent.click(screen.getByRole('button', { name: 'Hide the field' }));
    expect(screen.queryByLabelText('Namespaces')).not.toBeInTheDocument();
    expect([tags(), typing()]).toEqual(['', 'false']);
  });
});
