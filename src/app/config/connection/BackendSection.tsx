import React, { type ChangeEvent } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Field, FieldSet, Input, SecretInput, useStyles2 } from '@grafana/ui';
import { testIds } from '../../testIds';
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
  const onInput = (event: ChangeEvent<HTMLInputElement>) =>
    onChange({ [event.target.name]: event.target.value.trim() });
  return (
    <FieldSet label="Backend connection">
      <Field
        label="Backend URL"
        description="Where Grafana's server reaches the Failure Prophet backend (the browser never calls it directly)."
        invalid={touched && Boolean(errors.backendUrl)}
        error={touched ? errors.backendUrl : undefined}
        required
      >
        <Input
          width={60}
          id="fp-backend-url"
          name="backendUrl"
          data-testid={testIds.appConfig.backendUrl}
          value={form.backendUrl}
          placeholder="http://failureprophet-backend:3001"
          onChange={onInput}
        />
      </Field>
      <Field
        label="Backend token"
        description="The backend's FP_API_TOKEN. Kept encrypted by Grafana and sent only by its proxy; it cannot be read back."
        invalid={touched && Boolean(errors.backendToken)}
        error={touched ? errors.backendToken : undefined}
        className={styles.fieldGap}
        required
      >
        <SecretInput
          width={60}
          id="fp-backend-token"
          name="backendToken"
          data-testid={testIds.appConfig.backendToken}
          value={form.backendToken}
          isConfigured={form.isTokenSet}
          placeholder="Paste the backend token"
          onChange={onInput}
          onReset={() => onChange({ backendToken: '', isTokenSet: false })}
        />
      </Field>
    </FieldSet>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  fieldGap: css({ marginTop: theme.spacing(2) }),
});
