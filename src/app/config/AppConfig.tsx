import React, { useEffect, useState, type ChangeEvent, type FormEvent } from 'react';
import { lastValueFrom } from 'rxjs';
import { css } from '@emotion/css';
import type { AppPluginMeta, GrafanaTheme2, PluginConfigPageProps, PluginMeta } from '@grafana/data';
import { getBackendSrv, type FetchError } from '@grafana/runtime';
import {
  Alert,
  Button,
  Field,
  FieldSet,
  Input,
  RadioButtonGroup,
  SecretInput,
  SecretTextArea,
  Text,
  useStyles2,
} from '@grafana/ui';
import { PLUGIN_SETTINGS_URL } from '../../constants';
import type { KubernetesSettings, PutKubernetesBody } from '../../contract/kubernetes';
import { reloadPage } from '../../utils/reloadPage';
import { describeKubernetes, getKubernetes, putKubernetes, resetKubernetes } from '../api/kubernetes';
import { useBackendQuery } from '../api/useBackendQuery';
import type { AppSettings } from '../pluginSettings';
import { testIds } from '../testIds';
import { useUnsavedChangesWarning } from '../utils/useUnsavedChangesWarning';
import { ConnectionTests } from './ConnectionTests';
import { PrometheusPicker } from './PrometheusPicker';

export interface AppConfigProps extends PluginConfigPageProps<AppPluginMeta<AppSettings>> {}

interface FormState {
  backendUrl: string;
  /** A new token typed by the admin; the saved one is never read back. */
  backendToken: string;
  isTokenSet: boolean;
  prometheusDatasourceUid?: string;
  /** Unset: Grafana has no Kubernetes settings, so the backend uses its own config file. */
  kubeMode?: 'in-cluster' | 'endpoint';
  kubeUrl: string;
  kubeToken: string;
  isKubeTokenSet: boolean;
  kubeCa: string;
  isKubeCaSet: boolean;
}

const KUBE_MODES = [
  {
    value: 'in-cluster' as const,
    label: 'In-cluster service account',
    description: 'The backend runs in the cluster it heals',
  },
  { value: 'endpoint' as const, label: 'API endpoint', description: 'An API server URL, a bearer token and its CA' },
];

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

function validateKubeUrl(value: string): string | undefined {
  if (!value.trim()) {
    return 'The Kubernetes API URL is required';
  }
  try {
    return new URL(value).protocol === 'https:' ? undefined : 'The Kubernetes API is served over https://';
  } catch {
    return 'Not a URL: use e.g. https://kubernetes.example.com:6443';
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/;

function validateKubeCa(value: string): string | undefined {
  if (!value.trim()) {
    return undefined;
  }
  if (!PEM_CERTIFICATE.test(value)) {
    return 'Paste the CA as PEM: -----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----';
  }
  // A PEM is ASCII; anything else is a copy-and-paste accident (and btoa would refuse it).
  return /^[\x09\x0a\x0d\x20-\x7e]*$/.test(value) ? undefined : 'The PEM contains characters that are not ASCII';
}

/**
 * secureJsonData travels to the backend in a header (the plugin proxy route), and a PEM's line
 * breaks cannot: it is kept base64-encoded, like kubeconfig's certificate-authority-data.
 */
const encodeCa = (pem: string) => btoa(`${pem.trim()}\n`);

const KUBE_FIELDS = ['kubeMode', 'kubeUrl', 'kubeToken', 'isKubeTokenSet', 'kubeCa', 'isKubeCaSet'] as const;

const AppConfig = ({ plugin }: AppConfigProps) => {
  const styles = useStyles2(getStyles);
  const { enabled, pinned, jsonData, secureJsonFields } = plugin.meta;
  const initial: FormState = {
    backendUrl: jsonData?.backendUrl ?? '',
    backendToken: '',
    isTokenSet: Boolean(secureJsonFields?.backendToken),
    prometheusDatasourceUid: jsonData?.prometheusDatasourceUid,
    kubeMode: jsonData?.kubernetes?.mode,
    kubeUrl: jsonData?.kubernetes?.url ?? '',
    kubeToken: '',
    isKubeTokenSet: Boolean(secureJsonFields?.kubeToken),
    kubeCa: '',
    isKubeCaSet: Boolean(secureJsonFields?.kubeCa),
  };
  const [state, setState] = useState<FormState>(initial);
  const dirty = JSON.stringify(state) !== JSON.stringify(initial);
  const [saved, setSaved] = useState(false);
  useUnsavedChangesWarning(dirty && !saved);
  // Reloads only once the warning is gone (its cleanup runs before this effect), so a save does not
  // ask "leave the page?" about the changes it just saved.
  useEffect(() => {
    if (saved) {
      reloadPage();
    }
  }, [saved]);
  const [touched, setTouched] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string>();
  const [kubeError, setKubeError] = useState<string>();
  const backendConfigured = Boolean(jsonData?.backendUrl && secureJsonFields?.backendToken);
  const backendKube = useBackendQuery(getKubernetes, 'kubernetes', { enabled: backendConfigured });

  const urlError = validateBackendUrl(state.backendUrl);
  const tokenError = !state.isTokenSet && !state.backendToken ? 'The backend token is required' : undefined;
  const endpoint = state.kubeMode === 'endpoint';
  const kubeUrlError = endpoint ? validateKubeUrl(state.kubeUrl) : undefined;
  const kubeTokenError =
    endpoint && !state.isKubeTokenSet && !state.kubeToken
      ? 'A bearer token is required for an API endpoint'
      : undefined;
  const kubeCaError = endpoint ? validateKubeCa(state.kubeCa) : undefined;
  const invalid = Boolean(urlError || tokenError || kubeUrlError || kubeTokenError || kubeCaError);
  const kubeChanged = KUBE_FIELDS.some((field) => state[field] !== initial[field]);

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
    setKubeError(undefined);
    const kubernetes = state.kubeMode ? kubernetesBody({ mode: state.kubeMode, url: state.kubeUrl }) : undefined;
    try {
      await savePluginSettings({
        enabled,
        pinned,
        jsonData: {
          ...jsonData,
          backendUrl: state.backendUrl,
          prometheusDatasourceUid: state.prometheusDatasourceUid,
          kubernetes,
        },
        // Only the secrets the admin typed or reset are sent: an untouched secret stays as it is.
        secureJsonData: secretsToSave(state, initial),
      });
    } catch (err) {
      const fetchError = err as FetchError<{ message?: string }>;
      setSaveError(fetchError?.data?.message ?? fetchError?.statusText ?? 'saving failed');
      setSaving(false);
      return;
    }
    // Only a change made here is pushed: an untouched page must not override the backend's own config.
    if (kubeChanged && kubernetes) {
      try {
        await putKubernetes(kubernetes);
      } catch (err) {
        setKubeError(
          `Grafana saved them, but the backend refused them or could not be reached, so it keeps using what it used before: ${(err as Error).message}`
        );
        backendKube.reload();
        setSaving(false);
        return;
      }
    }
    setSaved(true);
  };

  // Settings saved in Grafana without passing through this page (provisioning, the settings API)
  // reach the backend only when sent: Grafana tells plugins nothing when they change.
  const savedKube = jsonData?.kubernetes;
  const unsentKube =
    savedKube && backendKube.data && !kubeSettingsInUse(savedKube, backendKube.data) ? savedKube : undefined;

  const onSendKube = async (saved: SavedKubernetes) => {
    setKubeError(undefined);
    try {
      await putKubernetes(kubernetesBody(saved));
    } catch (err) {
      setKubeError(`The backend refused them or could not be reached: ${(err as Error).message}`);
    }
    backendKube.reload();
  };

  const onResetBackendKube = async () => {
    setKubeError(undefined);
    try {
      await resetKubernetes();
    } catch (err) {
      setKubeError(`The backend could not go back to its config file: ${(err as Error).message}`);
    }
    backendKube.reload();
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
          className={styles.fieldGap}
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
      </FieldSet>
      <FieldSet label="Prometheus">
        <Field
          label="Prometheus data source"
          description="The Grafana data source with the metrics the backend watches (used for Explore links and the connection test)."
        >
          <PrometheusPicker
            inputId="fp-prometheus-datasource"
            value={state.prometheusDatasourceUid}
            onChange={(uid) => setState({ ...state, prometheusDatasourceUid: uid })}
          />
        </Field>
      </FieldSet>
      <FieldSet label="Kubernetes">
        {backendConfigured && (
          <div className={styles.kubeSource} data-testid={testIds.kubernetesAccess.source}>
            {backendKube.data ? (
              <>
                <Text>The backend uses: {describeKubernetes(backendKube.data)}</Text>
                {backendKube.data.source === 'grafana' && (
                  <Button
                    size="sm"
                    variant="secondary"
                    fill="outline"
                    onClick={onResetBackendKube}
                    data-testid={testIds.kubernetesAccess.reset}
                  >
                    Use the backend&apos;s config file instead
                  </Button>
                )}
                {unsentKube && !kubeChanged && (
                  <div className={styles.kubeSource} data-testid={testIds.kubernetesAccess.unsent}>
                    <Text color="warning">
                      Grafana has other Kubernetes settings saved ({describeSavedKube(unsentKube)}, e.g. from
                      provisioning) that the backend does not use.
                    </Text>
                    <Button
                      size="sm"
                      variant="secondary"
                      onClick={() => onSendKube(unsentKube)}
                      data-testid={testIds.kubernetesAccess.send}
                    >
                      Send them to the backend
                    </Button>
                  </div>
                )}
              </>
            ) : backendKube.error ? (
              <Text color="warning">Which Kubernetes the backend uses is unknown: {backendKube.error.message}</Text>
            ) : (
              <Text color="secondary">Asking the backend which Kubernetes it uses…</Text>
            )}
          </div>
        )}
        <Field
          label="How the backend reaches Kubernetes"
          description={
            state.kubeMode
              ? "Saving a change here sends it to the backend, where it wins over the backend's own config."
              : 'Not set in Grafana: the backend uses its own config (above). Choose one to set it from Grafana instead.'
          }
        >
          <RadioButtonGroup
            id="fp-kube-mode"
            options={KUBE_MODES}
            value={state.kubeMode}
            onChange={(kubeMode) => setState({ ...state, kubeMode })}
          />
        </Field>
        {endpoint && (
          <>
            <Field label="API server URL" invalid={Boolean(kubeUrlError)} error={kubeUrlError} required>
              <Input
                width={60}
                id="fp-kube-url"
                data-testid={testIds.appConfig.kubeUrl}
                value={state.kubeUrl}
                placeholder="https://kubernetes.example.com:6443"
                onChange={(e) => setState({ ...state, kubeUrl: e.currentTarget.value.trim() })}
              />
            </Field>
            <Field
              label="Bearer token"
              description="The backend's service account token"
              invalid={Boolean(kubeTokenError)}
              error={kubeTokenError}
              required
            >
              <SecretInput
                width={60}
                id="fp-kube-token"
                value={state.kubeToken}
                isConfigured={state.isKubeTokenSet}
                onChange={(e) => setState({ ...state, kubeToken: e.currentTarget.value.trim() })}
                onReset={() => setState({ ...state, kubeToken: '', isKubeTokenSet: false })}
              />
            </Field>
            <Field
              label="CA certificate"
              description="PEM; empty to use the system's trusted CAs"
              invalid={Boolean(kubeCaError)}
              error={kubeCaError}
            >
              <SecretTextArea
                id="fp-kube-ca"
                cols={60}
                rows={4}
                value={state.kubeCa}
                isConfigured={state.isKubeCaSet}
                onChange={(e) => setState({ ...state, kubeCa: e.currentTarget.value })}
                onReset={() => setState({ ...state, kubeCa: '', isKubeCaSet: false })}
              />
            </Field>
          </>
        )}
        <Alert severity="info" title="The namespace allow-list">
          Which namespaces the engine may act in is a safety limit: set it on the Healing policies tab.
        </Alert>
      </FieldSet>
      <FieldSet label="Test the connection">
        <ConnectionTests datasourceUid={jsonData?.prometheusDatasourceUid} dirty={dirty} />
      </FieldSet>
      <FieldSet>
        {saveError && (
          <Alert title="Saving failed" severity="error" data-testid={testIds.appConfig.saveError}>
            {saveError}
          </Alert>
        )}
        {kubeError && (
          <Alert
            title="The backend did not take the Kubernetes settings"
            severity="error"
            data-testid={testIds.kubernetesAccess.error}
          >
            {kubeError}
          </Alert>
        )}
        <div className={styles.marginTop}>
          <Button
            type="submit"
            data-testid={testIds.appConfig.submit}
            disabled={saving || ((touched || dirty) && invalid)}
          >
            {saving ? 'Saving…' : 'Save connection'}
          </Button>
          {dirty && (
            <span className={styles.unsaved} data-testid={testIds.appConfig.unsaved}>
              You have unsaved changes
            </span>
          )}
        </div>
      </FieldSet>
    </form>
  );
};

export default AppConfig;

type SavedKubernetes = NonNullable<AppSettings['kubernetes']>;

/** What the backend is sent for Kubernetes settings as jsonData keeps them (the same shape, url only for an endpoint). */
function kubernetesBody(s: SavedKubernetes): PutKubernetesBody {
  return s.mode === 'endpoint' ? { mode: 'endpoint', url: s.url ?? '' } : { mode: 'in-cluster' };
}

/** Whether the backend runs on what Grafana has saved (the secrets cannot be compared, only where they go). */
function kubeSettingsInUse(saved: SavedKubernetes, used: KubernetesSettings): boolean {
  return used.source === 'grafana' && used.mode === saved.mode && (saved.mode !== 'endpoint' || used.url === saved.url);
}

function describeSavedKube(saved: SavedKubernetes): string {
  return saved.mode === 'endpoint' ? `API endpoint ${saved.url ?? '(no URL)'}` : 'in-cluster service account';
}

function secretsToSave(state: FormState, initial: FormState): Record<string, string> | undefined {
  const secrets: Record<string, string> = {};
  if (state.backendToken) {
    secrets.backendToken = state.backendToken;
  }
  if (state.kubeToken) {
    secrets.kubeToken = state.kubeToken;
  } else if (initial.isKubeTokenSet && !state.isKubeTokenSet) {
    // Reset: an empty value is what the proxy then sends, i.e. no token.
    secrets.kubeToken = '';
  }
  if (state.kubeCa.trim()) {
    secrets.kubeCa = encodeCa(state.kubeCa);
  } else if (initial.isKubeCaSet && !state.isKubeCaSet) {
    secrets.kubeCa = '';
  }
  return Object.keys(secrets).length ? secrets : undefined;
}

async function savePluginSettings(data: Partial<PluginMeta<AppSettings>>) {
  return lastValueFrom(
    getBackendSrv().fetch({ url: PLUGIN_SETTINGS_URL, method: 'POST', data, showErrorAlert: false })
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  fieldGap: css({ marginTop: theme.spacing(2) }),
  marginTop: css({
    marginTop: theme.spacing(3),
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(2),
  }),
  unsaved: css({
    color: theme.colors.warning.text,
  }),
  kubeSource: css({
    display: 'flex',
    alignItems: 'center',
    flexWrap: 'wrap',
    gap: theme.spacing(2),
    marginBottom: theme.spacing(2),
  }),
});
