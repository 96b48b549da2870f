import React, { useRef, useState, type ComponentProps } from 'react';
import { TagsInput } from '@grafana/ui';
import { useReportTypedWord } from './typedWords';

type Props = Omit<ComponentProps<typeof TagsInput>, 'addOnBlur' | 'ref'>;

/**
 * @grafana/ui's TagsInput for a config form: a word left typed is added when the field loses focus
 * (addOnBlur), and until then the form counts it as a change (see typedWords), so the Save click
 * that takes the focus away saves it. TagsInput does not say what its box holds, so this follows
 * the box: its change events while typing, and what is left in it once TagsInput changes the list.
 */
export function FormTagsInput({ tags = [], onChange, ...props }: Props) {
  const input = useRef<HTMLInputElement>(null);
  const [typed, setTyped] = useState('');
  // A word already in the list adds nothing (TagsInput drops it), so it is no change.
  useReportTypedWord(typed !== '' && !tags.includes(typed));
  const changed = (next: string[]) => {
    // A longer list is the typed word added (TagsInput then empties its box); a shorter one, a tag
    // removed with the box as it was.
    setTyped(next.length > tags.length ? '' : (input.current?.value ?? ''));
    onChange(next);
  };
  return (
    <div onChange={(event) => setTyped((event.target as HTMLInputElement).value)}>
      <TagsInput {...props} ref={input} tags={tags} onChange={changed} addOnBlur />
    </div>
  );
}
