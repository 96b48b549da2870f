import React, { useState, type ChangeEvent, type FormEvent } from 'react';
import { lastValueFrom } from 'rxjs';
import { css } from '@emotion/css';
import type { AppPluginMeta, GrafanaTheme2, PluginConfigPageProps, PluginMeta } from '@grafana/data';
import { getBackendSrv, type FetchError } from '@grafana/runtime';
import { Alert, Button, Field, FieldSet, Input, SecretInput, useStyles2 } from '@grafana/ui';
import { PLUGIN_SETTINGS_URL } from '../../constants';
import { reloadPage } from '../../utils/reloadPage';
import type { AppSettings } from '../pluginSettings';
import { testIds } from '../testIds';

export interface AppConfigProps extends PluginConfigPageProps<AppPluginMeta<AppSettings>> {}

interface FormState {
  backendUrl: string;
  /** A new token typed by the admin; the saved one is never read back. */
  backendToken: string;
  isTokenSet: boolean;
}

export function validateBackendUrl(value: string): string | undefined {
  if (!value.trim()) {
    return 'The backend URL is required';
  }
  try {
    const url = new URL(value.trim());
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return 'Use an http:// or https:// URL';
    }
  } catch {
    return 'Not a URL: use e.g. http://failureprophet-backend:3001';
  }
  return undefined;
}

const AppConfig = ({ plugin }: AppConfigProps) => {
  const styles = useStyles2(getStyles);
  const { enabled, pinned, jsonData, secureJsonFields } = plugin.meta;
  const [state, setState] = useState<FormState>({
    backendUrl: jsonData?.backendUrl ?? '',
    backendToken: '',
    isTokenSet: Boolean(secureJsonFields?.backendToken),
  });
  const [touched, setTouched] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string>();

  const urlError = validateBackendUrl(state.backendUrl);
  const tokenError = !state.isTokenSet && !state.backendToken ? 'The backend token is required' : undefined;
  const invalid = Boolean(urlError || tokenError);

  const onChange = (event: ChangeEvent<HTMLInputElement>) => {
    setTouched(true);
    setState({ ...state, [event.target.name]: event.target.value.trim() });
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (invalid) {
      return;
    }
    setSaving(true);
    setSaveError(undefined);
    try {
      await savePluginSettings({
        enabled,
        pinned,
        jsonData: { ...jsonData, backendUrl: state.backendUrl },
        // Sent only when the admin typed a new token: an untouched secret stays as it is.
        secureJsonData: state.backendToken ? { backendToken: state.backendToken } : undefined,
      });
      reloadPage();
    } catch (err) {
      const fetchError = err as FetchError<{ message?: string }>;
      setSaveError(fetchError?.data?.message ?? fetchError?.statusText ?? 'saving failed');
    } finally {
      setSaving(false);
    }
  };

  return (
    <form onSubmit={onSubmit} data-testid={testIds.appConfig.container} noValidate>
      <FieldSet label="Backend connection">
        <Field
          label="Backend URL"
          description="Where Grafana's server reaches the Failure Prophet backend (the browser never calls it directly)."
          invalid={touched && Boolean(urlError)}
          error={touched ? urlError : undefined}
          required
        >
          <Input
            width={60}
            id="fp-backend-url"
            name="backendUrl"
            data-testid={testIds.appConfig.backendUrl}
            value={state.backendUrl}
            placeholder="http://failureprophet-backend:3001"
            onChange={onChange}
          />
        </Field>
        <Field
          label="Backend token"
          description="The backend's FP_API_TOKEN. Kept encrypted by Grafana and sent only by its proxy; it cannot be read back."
          invalid={touched && Boolean(tokenError)}
          error={touched ? tokenError : undefined}
          className={styles.marginTop}
          required
        >
          <SecretInput
            width={60}
            id="fp-backend-token"
            name="backendToken"
            data-testid={testIds.appConfig.backendToken}
            value={state.backendToken}
            isConfigured={state.isTokenSet}
            placeholder="Paste the backend token"
            onChange={onChange}
            onReset={() => {
              setTouched(true);
              setState({ ...state, backendToken: '', isTokenSet: false });
            }}
          />
        </Field>
        {saveError && (
          <Alert title="Saving failed" severity="error" data-testid={testIds.appConfig.saveError}>
            {saveError}
          </Alert>
        )}
        <div className={styles.marginTop}>
          <Button type="submit" data-testid={testIds.appConfig.submit} disabled={saving || (touched && invalid)}>
            {saving ? 'Saving…' : 'Save connection'}
          </Button>
        </div>
      </FieldSet>
    </form>
  );
};

export default AppConfig;

async function savePluginSettings(data: Partial<PluginMeta<AppSettings>>) {
  return lastValueFrom(
    getBackendSrv().fetch({ url: PLUGIN_SETTINGS_URL, method: 'POST', data, showErrorAlert: false })
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  marginTop: css({
    marginTop: theme.spacing(3),
  }),
});
