import React from 'react';
import { Field } from '@grafana/ui';
import { FormTagsInput, type RefuseWord } from './FormTagsInput';

interface TagsFieldProps {
  label: string;
  description?: string;
  id: string;
  error?: string;
  tags: string[];
  set: (tags: string[]) => void;
  /** Which words the field takes (namespaceProblem, watchNameProblem, ...); without it, any. */
  refuse?: RefuseWord;
  placeholder?: string;
}

/** A labelled list of words (namespaces, watches, label names) with its error, as the config editors ask for lists. */
export function TagsField({ label, description, id, error, tags, set, refuse, placeholder }: TagsFieldProps) {
  // The input shows the error itself, under its tags as Field would, since a word it refuses has one too.
  return (
    <Field label={label} description={description}>
      <FormTagsInput id={id} tags={tags} onChange={set} refuse={refuse} error={error} placeholder={placeholder} />
    </Field>
  );
}
