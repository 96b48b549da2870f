import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/server/config/load';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fp-config-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const file = (yaml: string) => {
  const path = join(dir, 'config.yaml');
  writeFileSync(path, yaml);
  return path;
};

describe('healing and kubernetes configuration', () => {
  it('without either: default policies and limits, no Kubernetes', () => {
    const config = loadConfig({});
    expect(config.kubernetes).toBeUndefined();
    expect(config.healing).toEqual({ tickInterval: 2000, notify: {}, retentionDays: 0 });
  });

  it('policies and limits from the YAML file', () => {
    const config = loadConfig({
      FP_CONFIG: file(`
healing:
  tickInterval: 5s
  policies:
    - name: restart-crashing
      match: { failureModels: [crash], namespaces: [shop] }
      action: { type: restart }
      gate: auto
  limits:
    maxActionsPerHour: 4
    namespaces: { allow: [shop, web] }
  notify:
    webhookUrl: https://hooks.slack.com/services/T/B/X
`),
    });
    expect(config.healing.tickInterval).toBe(5000);
    expect(config.healing.policies).toEqual([
      {
        name: 'restart-crashing',
        enabled: true,
        match: { failureModels: ['crash'], namespaces: ['shop'] },
        action: { type: 'restart' },
        gate: 'auto',
      },
    ]);
    expect(config.healing.limits).toMatchObject({
      maxActionsPerHour: 4,
      cooldownSeconds: 900,
      namespaces: { allow: ['shop', 'web'], deny: ['kube-system'] },
    });
  });

  it('a wrong policy is refused naming the key', () => {
    const path = file(`
healing:
  policies:
    - name: p
      action: { type: restart }
      gate: sometimes
`);
    expect(() => loadConfig({ FP_CONFIG: path })).toThrow(/healing\.policies\.0\.gate \(in .*config\.yaml\)/);
  });

  it('FP_KUBE_URL + FP_KUBE_TOKEN + FP_KUBE_CA_FILE: the configured endpoint, over the file', () => {
    const config = loadConfig({
      FP_CONFIG: file('kubernetes: { mode: kubeconfig, path: /somewhere }\n'),
      FP_KUBE_URL: 'https://10.0.0.1:6443',
      FP_KUBE_TOKEN: 'sa-token',
      FP_KUBE_CA_FILE: '/etc/ca.crt',
      FP_NOTIFY_WEBHOOK_URL: 'http://receiver.local/hook',
    });
    expect(config.kubernetes).toEqual({
      mode: 'endpoint',
      url: 'https://10.0.0.1:6443',
      token: 'sa-token',
      caFile: '/etc/ca.crt',
      insecureSkipTlsVerify: false,
      requestTimeoutMs: 10_000,
    });
    expect(config.healing.notify.webhookUrl).toBe('http://receiver.local/hook');
  });

  it('FP_KUBE_URL without a token names the variable', () => {
    expect(() => loadConfig({ FP_KUBE_URL: 'https://10.0.0.1:6443' })).toThrow(
      /kubernetes\.token \(from FP_KUBE_TOKEN\)/
    );
  });

  it('KUBECONFIG applies when the file says nothing about Kubernetes, and yields to the file when it does', () => {
    expect(loadConfig({ KUBECONFIG: '/home/me/.kube/config' }).kubernetes).toEqual({
      mode: 'kubeconfig',
      requestTimeoutMs: 10_000,
    });
    const config = loadConfig({
      KUBECONFIG: '/home/me/.kube/config',
      FP_CONFIG: file('kubernetes: { mode: in-cluster }\n'),
    });
    expect(config.kubernetes).toEqual({ mode: 'in-cluster', requestTimeoutMs: 10_000 });
  });
});

describe('maintenance configuration (issue 17)', () => {
  it('alertmanager.url from FP_ALERTMANAGER_URL; auto windows and the new limits from the YAML file', () => {
    const config = loadConfig({
      FP_ALERTMANAGER_URL: 'http://alertmanager:9093',
      FP_CONFIG: file(`
healing:
  policies:
    - name: restart-weekdays
      action: { type: restart }
      gate: auto
      autoWindows: { timeZone: Europe/Berlin, windows: [{ days: [mon, tue, wed, thu, fri], from: '08:00', to: '18:00' }] }
  limits:
    workloadDisruption: { maxUnavailablePercent: 30, minHealthyPercent: 51 }
    storm: { maxAlarmingTargets: 25 }
`),
    });
    expect(config.alertmanager).toEqual({ url: 'http://alertmanager:9093', timeout: 10_000 });
    expect(config.healing.policies![0].autoWindows).toEqual({
      timeZone: 'Europe/Berlin',
      windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' }],
    });
    expect(config.healing.limits).toMatchObject({
      workloadDisruption: { maxUnavailablePercent: 30, minHealthyPercent: 51 },
      nodeDisruption: { minReadyPercent: 51 },
      storm: { maxAlarmingTargets: 25 },
    });
    expect(loadConfig({}).alertmanager).toEqual({ timeout: 10_000 });
    expect(() => loadConfig({ FP_ALERTMANAGER_URL: 'alertmanager:9093' })).toThrow(/alertmanager\.url/);
  });
});
