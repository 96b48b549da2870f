import React, { useState } from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import { setupUser } from '../../testUtils/user';
import { namespaceProblem } from '../../utils/validation';
import { FormTagsInput, type RefuseWord } from './FormTagsInput';
import { TypedWordsProvider, useTypedWords } from './typedWords';

const user = setupUser();

/** A form around one tag field, showing whether it counts a typed word or a refused one; the field can be taken away. */
function Form({ initial, refuse }: { initial: string[]; refuse?: RefuseWord }) {
  const words = useTypedWords();
  const [tags, setTags] = useState(initial);
  const [shown, setShown] = useState(true);
  return (
    <TypedWordsProvider value={words.report}>
      <label htmlFor="namespaces">Namespaces</label>
      {shown && <FormTagsInput id="namespaces" tags={tags} onChange={setTags} refuse={refuse} />}
      <output data-testid="typing">{String(words.typing)}</output>
      <output data-testid="refused">{words.refusedItems.size}</output>
      <output data-testid="tags">{tags.join(',')}</output>
      <button onClick={() => setShown(false)}>Hide the field</button>
    </TypedWordsProvider>
  );
}

/** Refuses a word whose part before "=" a tag has already, as a list of key=value words would. */
const oneValueEach: RefuseWord = (word, tags) => {
  const key = word.split('=')[0];
  const same = tags.find((tag) => tag.split('=')[0] === key);
  return same === undefined ? undefined : `"${key}" is already listed (${same})`;
};

const typing = () => screen.getByTestId('typing').textContent;
const refused = () => screen.getByTestId('refused').textContent;
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

  it("takes a word over 50 characters (TagsInput's limit) when nothing refuses it", async () => {
    render(<Form initial={[]} />);
    // A node's name may have 253.
    const node = `${'n'.repeat(60)}.${'o'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(71)}`;
    await user.click(box());
    await user.paste(node);
    await user.keyboard('{Enter}');
    expect([tags(), typing(), box()]).toEqual([node, 'false', expect.objectContaining({ value: '' })]);
  });

  it('keeps a word it refuses in its box with the reason under it, counted as refused through the blur and a tag removed', async () => {
    render(<Form initial={['shop', 'cart']} refuse={namespaceProblem} />);
    const long = 'n'.repeat(64);
    await user.click(box());
    await user.paste(long);
    expect(refused()).toBe('0');
    await user.keyboard('{Enter}');
    const reason = 'A namespace name is at most 63 characters (this one has 64)';
    expect(screen.getByText(reason)).toBeInTheDocument();
    expect(box()).toHaveAccessibleDescription(reason);
    expect(box()).toHaveAttribute('aria-invalid', 'true');
    await user.tab();
    await user.click(screen.getByRole('button', { name: 'Remove tag: shop' }));
    expect([tags(), typing(), refused()]).toEqual(['cart', 'true', '1']);
    expect(box()).toHaveValue(long);
    expect(screen.getByText(reason)).toBeInTheDocument();
  });

  it('takes the longest valid word, and the reason follows what is typed once a word was refused', async () => {
    render(<Form initial={[]} refuse={namespaceProblem} />);
    await user.click(box());
    await user.paste('n'.repeat(64));
    await user.keyboard('{Enter}');
    expect(screen.getByText(/at most 63 characters/)).toBeInTheDocument();
    await user.keyboard('{Backspace}');
    expect(screen.queryByText(/at most 63 characters/)).not.toBeInTheDocument();
    expect([typing(), refused()]).toEqual(['true', '0']);
    await user.keyboard('{Backspace}X');
    expect(screen.getByText(/is not a namespace name/)).toBeInTheDocument();
    expect(refused()).toBe('1');
    await user.keyboard('{Backspace}n{Enter}');
    expect([tags(), typing(), refused()]).toEqual(['n'.repeat(63), 'false', '0']);
  });

  it('takes a refused word once the tag it conflicted with is removed', async () => {
    render(<Form initial={['app=cart']} refuse={oneValueEach} />);
    await user.type(box(), 'app=web{Enter}');
    expect(screen.getByText('"app" is already listed (app=cart)')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Remove tag: app=cart' }));
    expect(screen.queryByText(/already listed/)).not.toBeInTheDocument();
    expect([tags(), typing(), refused()]).toEqual(['', 'true', '0']);
    await user.type(box(), '{Enter}');
    expect(tags()).toBe('app=web');
  });

  it('does not count a word the list already has, nor one it dropped as a duplicate', async () => {
    render(<Form initial={['shop']} />);
    await user.type(box(), 'shop');
    expect(typing()).toBe('false');
    // The field empties its box without changing the list; removing the tag then leaves nothing typed.
    await user.keyboard('{Enter}');
    expect(box()).toHaveValue('');
    await user.click(screen.getByRole('button', { name: 'Remove tag: shop' }));
    expect([tags(), typing()]).toEqual(['', 'false']);
  });

  it('stops counting a refused word when the field goes away with it', async () => {
    render(<Form initial={[]} refuse={namespaceProblem} />);
    await user.type(box(), 'App{Enter}');
    expect([typing(), refused()]).toEqual(['true', '1']);
    fireEvent.click(screen.getByRole('button', { name: 'Hide the field' }));
    expect([tags(), typing(), refused()]).toEqual(['', 'false', '0']);
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
