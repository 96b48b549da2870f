import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKubeConfig, kubernetesOptionsFromEnv, kubernetesOptionsSchema } from './config';

describe('kubernetes options', () => {
  it('the configured endpoint: URL, token and CA file', () => {
    const options = kubernetesOptionsSchema.parse({
      mode: 'endpoint',
      url: 'https://k8s.example:6443',
      token: 'abc',
      caFile: '/etc/ca.crt',
    });
    expect(options).toEqual({
      mode: 'endpoint',
      url: 'https://k8s.example:6443',
      token: 'abc',
      caFile: '/etc/ca.crt',
      insecureSkipTlsVerify: false,
      requestTimeoutMs: 10000,
    });
    const kc = createKubeConfig(options);
    expect(kc.getCurrentCluster()).toMatchObject({
      server: 'https://k8s.example:6443',
      caFile: '/etc/ca.crt',
      skipTLSVerify: false,
    });
    expect(kc.getCurrentUser()?.token).toBe('abc');
  });

  it('rejects an endpoint without a token, or with a URL that is not http(s)', () => {
    expect(kubernetesOptionsSchema.safeParse({ mode: 'endpoint', url: 'https://k8s', token: '' }).success).toBe(false);
    expect(kubernetesOptionsSchema.safeParse({ mode: 'endpoint', url: 'ftp://k8s', token: 't' }).success).toBe(false);
    expect(kubernetesOptionsSchema.safeParse({ mode: 'magic' }).success).toBe(false);
  });

  it('rejects a URL that carries a user or password, saying where credentials go', () => {
    const result = kubernetesOptionsSchema.safeParse({
      mode: 'endpoint',
      url: 'https://admin:s3cret@k8s:6443',
      token: 't',
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toBe(
      'carries a user or password: put credentials in the token, not the URL'
    );
    expect(
      kubernetesOptionsSchema.safeParse({ mode: 'endpoint', url: 'https://k8s:6443/?a=b@c', token: 't' }).success
    ).toBe(true);
  });

  it('a kubeconfig file, with a context of its choosing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-kube-'));
    const path = join(dir, 'config');
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: a',
        '  cluster: { server: "https://a.example:6443" }',
        '- name: b',
        '  cluster: { server: "https://b.example:6443" }',
        'users:',
        '- name: u',
        '  user: { token: t }',
        'contexts:',
        '- name: ctx-a',
        '  context: { cluster: a, user: u }',
        '- name: ctx-b',
        '  context: { cluster: b, user: u }',
        'current-context: ctx-a',
      ].join('\n')
    );
    expect(
      createKubeConfig(kubernetesOptionsSchema.parse({ mode: 'kubeconfig', path })).getCurrentCluster()?.server
    ).toBe('https://a.example:6443');
    expect(
      createKubeConfig(
        kubernetesOptionsSchema.parse({ mode: 'kubeconfig', path, context: 'ctx-b' })
      ).getCurrentCluster()?.server
    ).toBe('https://b.example:6443');
  });

  it('in-cluster: the service account and the API server from the environment', () => {
    const saved = { ...process.env };
    process.env.KUBERNETES_SERVICE_HOST = '10.0.0.1';
    process.env.KUBERNETES_SERVICE_PORT = '443';
    try {
      const kc = createKubeConfig(kubernetesOptionsSchema.parse({ mode: 'in-cluster' }));
      expect(kc.getCurrentCluster()).toMatchObject({
        server: 'https://10.0.0.1:443',
        caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
      });
    } finally {
      process.env = saved;
    }
  });

  it('from the environment: FP_KUBE_* first, then KUBECONFIG, then in-cluster', () => {
    expect(
      kubernetesOptionsFromEnv({
        FP_KUBE_URL: 'https://k',
        FP_KUBE_TOKEN: 't',
        FP_KUBE_CA_FILE: '/ca',
        KUBECONFIG: '/x',
      })
    ).toEqual({
      mode: 'endpoint',
      url: 'https://k',
      token: 't',
      caFile: '/ca',
    });
    expect(kubernetesOptionsFromEnv({ KUBECONFIG: '/x', KUBERNETES_SERVICE_HOST: '10.0.0.1' })).toEqual({
      mode: 'kubeconfig',
    });
    expect(kubernetesOptionsFromEnv({ KUBERNETES_SERVICE_HOST: '10.0.0.1' })).toEqual({ mode: 'in-cluster' });
    expect(kubernetesOptionsFromEnv({})).toBeUndefined();
  });
});
