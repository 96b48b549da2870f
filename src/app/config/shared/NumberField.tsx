import React from 'react';
import { Field, Input } from '@grafana/ui';
import { fieldProblem, numberOrUndefined } from '../../utils/validation';

interface NumberFieldProps {
  label: string;
  description?: string;
  id: string;
  error?: string;
  value?: number;
  /** Called with undefined when the field is emptied: optional numbers stay unset. */
  set: (v?: number) => void;
  width?: number;
  step?: number;
}

/** A labelled number input with its error, as every config editor asks for numbers. */
export function NumberField({ label, description, id, error, value, set, width = 20, step }: NumberFieldProps) {
  return (
    <Field label={label} description={description} {...fieldProblem(error)}>
      <Input
        id={id}
        type="number"
        width={width}
        step={step}
        value={value ?? ''}
        onChange={(e) => set(numberOrUndefined(e.currentTarget.value))}
      />
    </Field>
  );
}
