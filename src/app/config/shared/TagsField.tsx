import React from 'react';
import { Field } from '@grafana/ui';
import { fieldProblem } from '../../utils/validation';
import { FormTagsInput } from './FormTagsInput';

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
      <FormTagsInput id={id} tags={tags} onChange={set} placeholder={placeholder} />
    </Field>
  );
}
