import { z } from 'zod';

// How the backend reaches Kubernetes, as an Admin sets it in Grafana. The secrets (bearer token,
// CA) never pass through the browser: Grafana's plugin proxy adds them as the headers below from
// the app's secureJsonData (see the `api/admin/kubernetes` route in plugin.json).

/** Headers the proxy route fills from secureJsonData; lower case, as Node hands headers over. */
export const KUBE_TOKEN_HEADER = 'x-fp-kube-token';
/** The CA as base64 of its PEM (a PEM's newlines cannot travel in a header), like kubeconfig's certificate-authority-data. */
export const KUBE_CA_HEADER = 'x-fp-kube-ca';

/** PUT /api/admin/kubernetes: the non-secret part, from the config page. */
export const putKubernetesBodySchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('in-cluster') }),
  z.strictObject({
    mode: z.literal('endpoint'),
    url: z.url({ protocol: /^https$/, error: 'the Kubernetes API URL must be an https:// URL' }),
  }),
]);
export type PutKubernetesBody = z.infer<typeof putKubernetesBodySchema>;

/**
 * What the backend uses to reach Kubernetes (GET /api/kubernetes, and the answer to PUT and
 * DELETE), never the secrets themselves. `source`: set in Grafana (kept in the backend's store,
 * winning over its config), the backend's own config file / environment, or none (Kubernetes
 * actions are blocked).
 */
export const kubernetesSettingsSchema = z.object({
  source: z.enum(['grafana', 'config', 'none']),
  mode: z.enum(['in-cluster', 'endpoint', 'kubeconfig']).optional(),
  /** The API server the backend talks to. */
  url: z.string().optional(),
  tokenSet: z.boolean(),
  caSet: z.boolean(),
  updatedBy: z.string().optional(),
  updatedAt: z.number().optional(),
  /** Why the saved settings cannot be used (Kubernetes actions are blocked until they are fixed). */
  error: z.string().optional(),
});
export type KubernetesSettings = z.infer<typeof kubernetesSettingsSchema>;
