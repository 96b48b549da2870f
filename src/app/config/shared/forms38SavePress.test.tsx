import React, { useState } from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';
import { visuallyHidden } from '../../utils/visuallyHidden';
import { FormTagsInput } from './FormTagsInput';
import { SaveFooter } from './SaveFooter';
import { TypedWordsProvider } from './typedWords';
import { useSaveForm } from './useSaveForm';

const user = setupUser();

function Form() {
  const [tags, setTags] = useState(['shop']);
  return (
    <>
      <label htmlFor="namespaces">Namespaces</label>
      <FormTagsInput id="namespaces" tags={tags} onChange={setTags} />
      <output data-testid="tags">{tags.join(',')}</output>
    </>
  );
}

/**
 * What takes room before `save`, in document order: every element's tag name. jsdom lays nothing out,
 * so this stands for the layout: an element added or removed above the button (a tag, an alert) moves it.
 * Visually hidden text takes no room.
 */
function layoutBefore(save: HTMLElement): string[] {
  return Array.from(document.body.querySelectorAll('*'))
    .filter((el) => el.compareDocumentPosition(save) & Node.DOCUMENT_POSITION_FOLLOWING)
    .filter((el) => !el.classList.contains(visuallyHidden))
    .map((el) => el.tagName);
}

describe('a word typed into a tag field', () => {
  it('is shown where its tag will be, so the blur that adds it keeps the same element and adds none', async () => {
    render(<Form />);
    await user.click(screen.getByLabelText('Namespaces'));
    await user.paste('cart');
    const items = screen.getAllByRole('listitem');
    expect(items.map((li) => li.textContent)).toEqual(['shop', 'cart (not added yet)']);

    fireEvent.blur(screen.getByLabelText('Namespaces'));
    expect(screen.getByTestId('tags')).toHaveTextContent('shop,cart');
    expect(screen.getAllByRole('listitem')).toEqual(items);
    expect(items.map((li) => li.textContent)).toEqual(['shop', 'cart']);
  });

  it('discards the typed word with its dashed tag', async () => {
    render(<Form />);
    await user.click(screen.getByLabelText('Namespaces'));
    await user.paste('cart');
    fireEvent.click(screen.getByRole('button', { name: 'Discard the typed word: cart' }));
    expect(screen.getByLabelText('Namespaces')).toHaveValue('');
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['shop']);
  });
});

/** A config tab in small: one tag field, its form's save cycle and footer, as the healing and watches tabs use them. */
function Tab({ onPut }: { onPut: (tags: string[]) => void }) {
  const [saved, setSaved] = useState<string[]>([]);
  const [tags, setTags] = useState<string[]>([]);
  const form = useSaveForm({ dirty: tags.join() !== saved.join(), invalidCount: 0 });
  const onSave = () =>
    form.run('saving', async () => {
      onPut(tags);
      setSaved(tags);
      return 'Saved.';
    });
  return (
    <TypedWordsProvider value={form.reportTypedWord}>
      <label htmlFor="namespaces">Namespaces</label>
      <FormTagsInput
        id="namespaces"
        tags={tags}
        onChange={(next) => {
          form.clearResult();
          setTags(next);
        }}
      />
      <SaveFooter
        ids={testIds.healingConfig}
        text={{ failedTitle: 'Saving failed', invalidNoun: ['field', 'fields'], saveLabel: 'Save' }}
        form={form}
        onSave={onSave}
      />
    </TypedWordsProvider>
  );
}

describe('a press on Save with a word typed', () => {
  it('moves nothing above Save between the press and the release, and saves the word', async () => {
    const onPut = jest.fn();
    render(<Tab onPut={onPut} />);
    const save = () => screen.getByTestId(testIds.healingConfig.save);
    await user.click(screen.getByLabelText('Namespaces'));
    await user.paste('shop');
    await user.click(save());
    expect(await screen.findByTestId(testIds.healingConfig.saveSuccess)).toBeInTheDocument();

    await user.click(screen.getByLabelText('Namespaces'));
    await user.paste('cart');
    // The last outcome goes as the word is typed, not as the press adds it.
    expect(screen.queryByTestId(testIds.healingConfig.saveSuccess)).not.toBeInTheDocument();
    const before = layoutBefore(save());
    await user.pointer({ keys: '[MouseLeft>]', target: save() });
    expect(screen.getByLabelText('Namespaces')).not.toHaveFocus();
    expect(layoutBefore(save())).toEqual(before);
    expect(save()).toBeEnabled();
    await user.pointer({ keys: '[/MouseLeft]', target: save() });

    expect(await screen.findByTestId(testIds.healingConfig.saveSuccess)).toBeInTheDocument();
    expect(onPut.mock.calls).toEqual([[['shop']], [['shop', 'cart']]]);
  });
});
