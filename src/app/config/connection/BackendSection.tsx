import React, { type ChangeEvent } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Field, FieldSet, Input, SecretInput, useStyles2 } from '@grafana/ui';
import { testIds } from '../../testIds';
import { fieldProblem } from '../../utils/validation';
import type { ConnectionErrors, ConnectionForm } from './connectionForm';

interface Props {
  form: ConnectionForm;
  errors: ConnectionErrors;
  /** Errors show once the admin has typed, reset or tried to save. */
  touched: boolean;
  onChange: (change: Partial<ConnectionForm>) => void;
}

/** Where Grafana's proxy reaches the backend, and the token it sends. */
export function BackendSection({ form, errors, touched, onChange }: Props) {
  const styles = useStyles2(getStyles);
  // What the two inputs share; a value is kept without surrounding blanks (a pasted token often has some).
  const input = (name: 'backendUrl' | 'backendToken', id: string) => ({
    width: 60,
    id,
    name,
    value: form[name],
    onChange: (event: ChangeEvent<HTMLInputElement>) => onChange({ [name]: event.target.value.trim() }),
  });
  return (
    <FieldSet label="Backend connection">
      <Field
        label="Backend URL"
        description="Where Grafana's server reaches the Failure Prophet backend (the browser never calls it directly)."
        {...fieldProblem(errors.backendUrl, touched)}
        required
      >
        <Input
          {...input('backendUrl', 'fp-backend-url')}
          data-testid={testIds.appConfig.backendUrl}
          placeholder="http://failureprophet-backend:3001"
        />
      </Field>
      <Field
        label="Backend token"
        description="The backend's FP_API_TOKEN. Kept encrypted by Grafana and sent only by its proxy; it cannot be read back."
        {...fieldProblem(errors.backendToken, touched)}
        className={styles.fieldGap}
        required
      >
        <SecretInput
          {...input('backendToken', 'fp-backend-token')}
          data-testid={testIds.appConfig.backendToken}
          isConfigured={form.isTokenSet}
          placeholder="Paste the backend token"
          onReset={() => onChange({ backendToken: '', isTokenSet: false })}
        />
      </Field>
    </FieldSet>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  fieldGap: css({ marginTop: theme.spacing(2) }),
});
