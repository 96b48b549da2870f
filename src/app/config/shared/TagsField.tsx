import React from 'react';
import { Field, TagsInput } from '@grafana/ui';
import { fieldProblem } from '../../utils/validation';

interface TagsFieldProps {
  label: string;
  description?: string;
  id: string;
  error?: string;
  tags: string[];
  set: (tags: string[]) => void;
  placeholder?: string;
}

/** A labelled list of words (namespaces, labels, key=value selectors) with its error, as the config editors ask for lists. */
export function TagsField({ label, description, id, error, tags, set, placeholder }: TagsFieldProps) {
  return (
    <Field label={label} description={description} {...fieldProblem(error)}>
      {/* addOnBlur: a word typed and left without Enter is kept, not lost on save. */}
      <TagsInput id={id} tags={tags} onChange={set} placeholder={placeholder} addOnBlur />
    </Field>
  );
}
