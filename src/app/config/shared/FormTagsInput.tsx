import React, { useState } from 'react';
import { css, cx } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import {
  Button,
  FieldValidationMessage,
  IconButton,
  Input,
  getTagColorsFromName,
  useStyles2,
  useTheme2,
} from '@grafana/ui';
import { visuallyHidden } from '../../utils/visuallyHidden';
import { useReportFieldState } from './typedWords';

/** Why a word cannot join a field's tags (undefined: it can). */
export type RefuseWord = (word: string, tags: readonly string[]) => string | undefined;

export interface FormTagsInputProps {
  id: string;
  tags: string[];
  onChange: (tags: string[]) => void;
  /** What the field holds decides which words it takes; without it, any. */
  refuse?: RefuseWord;
  /** The field's error from the form's validation, shown while no word is refused. */
  error?: string;
  placeholder?: string;
}

/**
 * A list of words for a config form, as @grafana/ui's TagsInput looks, which cannot be used: it
 * refuses any word over 50 characters with only a red border, and Kubernetes names run to 63 or 253.
 * A word left typed is added when the field loses focus, and until then the form counts it as a
 * change (see typedWords), so the Save click that takes the focus away saves it. While typed it is
 * already shown as a dashed tag where it will be, so adding it on that blur moves nothing under the
 * mouse. A word `refuse` finds wrong stays in the box with the reason under the field, and the form
 * counts it as invalid; from then on the reason follows what is typed until the word is added or the
 * box emptied.
 * The field never adds a word twice, so a list holding one twice was stored by other means: it
 * shows both tags, each removable on its own, and the reason, counted as invalid until one goes.
 */
export function FormTagsInput({ id, tags, onChange, refuse, error, placeholder }: FormTagsInputProps) {
  const styles = useStyles2(getStyles);
  const [box, setBox] = useState('');
  const [tried, setTried] = useState(false);
  const word = box.trim();
  // A word already in the list adds nothing, so it is no change.
  const adds = word !== '' && !tags.includes(word);
  const refusal = tried && adds ? refuse?.(word, tags) : undefined;
  const repeat = repeatedTag(tags);
  useReportFieldState({ typed: adds, refused: refusal !== undefined || repeat !== undefined });
  const problem = refusal ?? error ?? repeat;
  const problemId = `${id}-problem`;
  // The typed word as the last tag, under the key it keeps once added: adding it changes only its look.
  const shown = adds ? [...tags, word] : tags;

  const type = (text: string) => {
    setBox(text);
    if (text.trim() === '') {
      setTried(false);
    }
  };
  const add = () => {
    if (adds && refuse?.(word, tags) !== undefined) {
      setTried(true);
      return;
    }
    if (adds) {
      onChange([...tags, word]);
    }
    type('');
  };

  return (
    <div className={styles.wrapper}>
      <Input
        id={id}
        value={box}
        placeholder={placeholder ?? 'New tag (enter key to add)'}
        invalid={problem !== undefined}
        aria-invalid={problem !== undefined}
        aria-describedby={problem !== undefined ? problemId : undefined}
        onChange={(event) => type(event.currentTarget.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && box !== '') {
            event.preventDefault();
            add();
          }
        }}
        onBlur={add}
        suffix={
          <Button fill="text" size="md" className={styles.add} onClick={add} disabled={!adds || refusal !== undefined}>
            Add
          </Button>
        }
      />
      {shown.length > 0 && (
        <ul className={styles.tags}>
          {shown.map((tag, i) =>
            i < tags.length ? (
              <Tag key={tagKey(shown, i)} name={tag} onRemove={() => onChange(tags.filter((_, j) => j !== i))} />
            ) : (
              <Tag key={tagKey(shown, i)} name={tag} pending onRemove={() => type('')} />
            )
          )}
        </ul>
      )}
      {problem !== undefined && (
        <div id={problemId}>
          <FieldValidationMessage>{problem}</FieldValidationMessage>
        </div>
      )}
    </div>
  );
}

/** Why a list cannot be saved as it is: the first tag it holds more than once. */
function repeatedTag(tags: readonly string[]): string | undefined {
  const tag = tags.find((t, i) => tags.indexOf(t) !== i);
  if (tag === undefined) {
    return undefined;
  }
  const times = tags.filter((t) => t === tag).length;
  return times === 2
    ? `"${tag}" is listed twice: remove one of them`
    : `"${tag}" is listed ${times} times: remove all but one`;
}

/** A tag's key: its word and how many times the list held it before, so a repeat has its own and a removal keeps the others'. */
function tagKey(tags: readonly string[], index: number): string {
  const before = tags.slice(0, index).filter((t) => t === tags[index]).length;
  return `${before}:${tags[index]}`;
}

interface TagProps {
  name: string;
  /** Typed and not added yet: the word in the box, shown where its tag will be. */
  pending?: boolean;
  onRemove: () => void;
}

/** One word, coloured by its name as TagsInput colours it; a long one is cut short, and whole in its title. */
function Tag({ name, pending = false, onRemove }: TagProps) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const { color, borderColor } = getTagColorsFromName(name);
  return (
    <li
      className={cx(styles.tag, pending && styles.pending)}
      style={{ backgroundColor: color, borderColor, color: theme.colors.getContrastText(color) }}
    >
      <span className={styles.name} title={name}>
        {name}
      </span>
      {pending && <span className={visuallyHidden}> (not added yet)</span>}
      <IconButton
        name="times"
        size="lg"
        tooltip={pending ? `Discard the typed word: ${name}` : `Remove tag: ${name}`}
        onClick={onRemove}
        className={styles.remove}
      />
    </li>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  wrapper: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(1),
  }),
  add: css({
    margin: `0 -${theme.spacing(1)}`,
  }),
  tags: css({
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(0.5),
  }),
  tag: css({
    display: 'flex',
    gap: theme.spacing(0.5),
    alignItems: 'center',
    maxWidth: '100%',
    height: theme.spacing(3),
    border: '1px solid',
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(0, 0.5),
    fontWeight: theme.typography.fontWeightMedium,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  // Dashed until added: the same size as the tag it becomes, so the blur of a press on Save that adds it
  // moves nothing below (a tag wrapping to a new row would push Save from under the mouse, losing the click).
  pending: css({
    borderStyle: 'dashed',
    opacity: 0.7,
  }),
  // As narrow as TagsInput's.
  name: css({
    maxWidth: '25ch',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  }),
  remove: css({
    margin: 0,
  }),
});
