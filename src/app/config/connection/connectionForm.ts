import type { KeyValue } from '@grafana/data';
import type { KubernetesSettings, PutKubernetesBody } from '../../../contract/kubernetes';
import type { AppSettings } from '../../pluginSettings';

/** The connection page's form: what jsonData holds, plus new secrets typed by the admin. */
export interface ConnectionForm {
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

export type SavedKubernetes = NonNullable<AppSettings['kubernetes']>;

export function initialConnectionForm(jsonData: AppSettings | undefined, secureJsonFields?: KeyValue<boolean>) {
  return {
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
  } satisfies ConnectionForm;
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

/** Why each field cannot be saved as it is (undefined: it can). */
export interface ConnectionErrors {
  backendUrl?: string;
  backendToken?: string;
  kubeUrl?: string;
  kubeToken?: string;
  kubeCa?: string;
}

export function connectionErrors(form: ConnectionForm): ConnectionErrors {
  const endpoint = form.kubeMode === 'endpoint';
  return {
    backendUrl: validateBackendUrl(form.backendUrl),
    backendToken: !form.isTokenSet && !form.backendToken ? 'The backend token is required' : undefined,
    kubeUrl: endpoint ? validateKubeUrl(form.kubeUrl) : undefined,
    kubeToken:
      endpoint && !form.isKubeTokenSet && !form.kubeToken
        ? 'A bearer token is required for an API endpoint'
        : undefined,
    kubeCa: endpoint ? validateKubeCa(form.kubeCa) : undefined,
  };
}

export const hasErrors = (errors: ConnectionErrors) => Object.values(errors).some(Boolean);

const KUBE_FIELDS = ['kubeMode', 'kubeUrl', 'kubeToken', 'isKubeTokenSet', 'kubeCa', 'isKubeCaSet'] as const;

export const kubeChanged = (form: ConnectionForm, initial: ConnectionForm) =>
  KUBE_FIELDS.some((field) => form[field] !== initial[field]);

/** What the backend is sent for Kubernetes settings as jsonData keeps them (the same shape, url only for an endpoint). */
export function kubernetesBody(s: SavedKubernetes): PutKubernetesBody {
  return s.mode === 'endpoint' ? { mode: 'endpoint', url: s.url ?? '' } : { mode: 'in-cluster' };
}

/** Whether the backend runs on what Grafana has saved (the secrets cannot be compared, only where they go). */
export function kubeSettingsInUse(saved: SavedKubernetes, used: KubernetesSettings): boolean {
  return used.source === 'grafana' && used.mode === saved.mode && (saved.mode !== 'endpoint' || used.url === saved.url);
}

export function describeSavedKube(saved: SavedKubernetes): string {
  return saved.mode === 'endpoint' ? `API endpoint ${saved.url ?? '(no URL)'}` : 'in-cluster service account';
}

/**
 * secureJsonData travels to the backend in a header (the plugin proxy route), and a PEM's line
 * breaks cannot: it is kept base64-encoded, like kubeconfig's certificate-authority-data.
 */
const encodeCa = (pem: string) => btoa(`${pem.trim()}\n`);

/** Only the secrets the admin typed or reset: an untouched secret stays as it is. */
export function secretsToSave(form: ConnectionForm, initial: ConnectionForm): Record<string, string> | undefined {
  const secrets: Record<string, string> = {};
  if (form.backendToken) {
    secrets.backendToken = form.backendToken;
  }
  if (form.kubeToken) {
    secrets.kubeToken = form.kubeToken;
  } else if (initial.isKubeTokenSet && !form.isKubeTokenSet) {
    // Reset: an empty value is what the proxy then sends, i.e. no token.
    secrets.kubeToken = '';
  }
  if (form.kubeCa.trim()) {
    secrets.kubeCa = encodeCa(form.kubeCa);
  } else if (initial.isKubeCaSet && !form.isKubeCaSet) {
    secrets.kubeCa = '';
  }
  return Object.keys(secrets).length ? secrets : undefined;
}
