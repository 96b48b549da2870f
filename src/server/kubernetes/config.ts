import { KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';

/**
 * The longest a request may wait: kube-apiserver ends one after its --request-timeout (1m by default, and
 * managed clusters allow 1h at most), so waiting longer only holds a stuck call (and the claim fence) longer.
 */
const REQUEST_TIMEOUT_MAX_MS = 3_600_000;

const common = {
  /** Each API request is abandoned after this long and reported as a timeout. */
  requestTimeoutMs: z
    .number()
    .int()
    .positive()
    .max(REQUEST_TIMEOUT_MAX_MS, `must be at most ${REQUEST_TIMEOUT_MAX_MS} ms (an hour)`)
    .default(10_000),
};

/**
 * How the backend reaches Kubernetes; the backend config embeds it under `kubernetes:`.
 * - `in-cluster`: the pod's service account (token, CA and namespace mounted by Kubernetes).
 * - `kubeconfig`: a kubeconfig file, `path` or else `KUBECONFIG` or else ~/.kube/config.
 * - `endpoint`: the configured Kubernetes endpoint: an API URL, a bearer token and a CA (file or data).
 */
export const kubernetesOptionsSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('in-cluster'), ...common }),
  z.object({
    mode: z.literal('kubeconfig'),
    path: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
    ...common,
  }),
  z.object({
    mode: z.literal('endpoint'),
    // A password in the URL would be echoed wherever the URL is shown (logs, API, audit).
    url: z.url({ protocol: /^https?$/ }).refine((url) => !/^[a-z]+:\/\/[^/?#]*@/i.test(url), {
      error: 'carries a user or password: put credentials in the token, not the URL',
    }),
    token: z.string().min(1),
    caFile: z.string().min(1).optional(),
    /** The CA as base64 of its PEM (kubeconfig's certificate-authority-data); what Grafana's settings carry. */
    caData: z.string().min(1).optional(),
    insecureSkipTlsVerify: z.boolean().default(false),
    ...common,
  }),
]);

export type KubernetesOptions = z.output<typeof kubernetesOptionsSchema>;
export type KubernetesOptionsInput = z.input<typeof kubernetesOptionsSchema>;

/**
 * The options the environment asks for, in order of precedence: `FP_KUBE_URL` + `FP_KUBE_TOKEN`
 * (+ `FP_KUBE_CA_FILE`), then `KUBECONFIG`, then the in-cluster service account. Undefined when
 * none applies, i.e. the backend runs without Kubernetes.
 */
export function kubernetesOptionsFromEnv(env: NodeJS.ProcessEnv): KubernetesOptionsInput | undefined {
  if (env.FP_KUBE_URL) {
    return {
      mode: 'endpoint',
      url: env.FP_KUBE_URL,
      token: env.FP_KUBE_TOKEN ?? '',
      caFile: env.FP_KUBE_CA_FILE || undefined,
    };
  }
  if (env.KUBECONFIG) {
    return { mode: 'kubeconfig' };
  }
  if (env.KUBERNETES_SERVICE_HOST) {
    return { mode: 'in-cluster' };
  }
  return undefined;
}

export function createKubeConfig(options: KubernetesOptions): KubeConfig {
  const kc = new KubeConfig();
  switch (options.mode) {
    case 'in-cluster':
      kc.loadFromCluster();
      break;
    case 'kubeconfig':
      if (options.path) {
        kc.loadFromFile(options.path);
      } else {
        // Reads KUBECONFIG (which may list several files), else ~/.kube/config.
        kc.loadFromDefault();
      }
      if (options.context) {
        kc.setCurrentContext(options.context);
      }
      break;
    case 'endpoint':
      kc.loadFromClusterAndUser(
        {
          name: 'failureprophet',
          server: options.url,
          caFile: options.caFile,
          caData: options.caData,
          // The client refuses an http:// server unless TLS verification is off; there is no TLS
          // to verify on such a URL anyway.
          skipTLSVerify: options.insecureSkipTlsVerify || options.url.startsWith('http:'),
        },
        { name: 'failureprophet', token: options.token }
      );
      break;
  }
  if (!kc.getCurrentCluster()) {
    throw new Error(`Kubernetes ${options.mode} configuration names no cluster`);
  }
  return kc;
}
