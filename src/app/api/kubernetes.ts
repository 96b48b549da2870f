import { kubernetesSettingsSchema, type KubernetesSettings, type PutKubernetesBody } from '../../contract/kubernetes';
import { backendRequest } from './backend';
import { formatTime } from '../../utils/time';

/**
 * The backend's Kubernetes access. The PUT goes through its own proxy route, which adds the token
 * and CA from the app's secureJsonData (plugin.json); the browser sends only the mode and URL.
 */
export const kubernetesPaths = {
  settings: 'api/kubernetes',
  admin: 'api/admin/kubernetes',
};

export const getKubernetes = () => backendRequest(kubernetesPaths.settings, kubernetesSettingsSchema);

export const putKubernetes = (body: PutKubernetesBody) =>
  backendRequest(kubernetesPaths.admin, kubernetesSettingsSchema, { method: 'PUT', data: body });

/** Forgets what Grafana pushed: the backend goes back to its own config. */
export const resetKubernetes = () =>
  backendRequest(kubernetesPaths.admin, kubernetesSettingsSchema, { method: 'DELETE' });

/** "API endpoint https://… (set in Grafana by admin, …)", in the words the config page shows after "The backend uses:". */
export function describeKubernetes(s: KubernetesSettings): string {
  if (s.error) {
    return `nothing: the Kubernetes access saved in Grafana cannot be used (${s.error}); Kubernetes actions are blocked`;
  }
  if (s.source === 'none') {
    return 'none: Kubernetes actions are blocked';
  }
  const where = s.url ? ` ${s.url}` : '';
  const what =
    s.mode === 'endpoint'
      ? `API endpoint${where}`
      : s.mode === 'in-cluster'
        ? `its in-cluster service account${where}`
        : s.mode === 'kubeconfig'
          ? `a kubeconfig${where}`
          : `Kubernetes${where}`;
  if (s.source === 'config') {
    return `${what} (from its config file)`;
  }
  const by = s.updatedBy ? ` by ${s.updatedBy}` : '';
  const at = s.updatedAt !== undefined ? `, ${formatTime(s.updatedAt)}` : '';
  return `${what} (set in Grafana${by}${at})`;
}
