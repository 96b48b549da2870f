// deploy/networkpolicy.yaml: it selects the backend's pods as deploy/ runs them, and lets only
// Grafana's pods, in the namespace the file documents, reach the backend's port.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

type Labels = Record<string, string>;
interface Selector {
  matchLabels?: Labels;
  matchExpressions?: unknown[];
}
interface Peer {
  namespaceSelector?: Selector;
  podSelector?: Selector;
  ipBlock?: unknown;
}
interface Policy {
  metadata: { namespace: string };
  spec: {
    podSelector: Selector;
    policyTypes: string[];
    ingress: Array<{ from: Peer[]; ports: Array<{ protocol: string; port: number | string }> }>;
  };
}

const read = (file: string) =>
  parseAllDocuments(readFileSync(join(__dirname, '../../deploy', file), 'utf8')).map((d) => d.toJS());
const [policy] = read('networkpolicy.yaml') as Policy[];
const backend = read('deployment.yaml').find((d) => d.kind === 'Deployment');
const service = read('service.yaml').find((d) => d.kind === 'Service');
const container = backend.spec.template.spec.containers[0];

// Label selectors as the API defines them; the policy uses matchLabels only (checked below).
const selects = (selector: Selector, labels: Labels) =>
  Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

/** Whether the policy lets a pod (its namespace and labels) connect to a backend pod on a port, as NetworkPolicy semantics say. */
function allows(from: { namespace: string; labels: Labels }, port: number): boolean {
  const namespaceLabels = { 'kubernetes.io/metadata.name': from.namespace };
  const portName = container.ports.find((p: { containerPort: number }) => p.containerPort === port)?.name;
  return policy.spec.ingress.some(
    (rule) =>
      rule.ports.some((p) => p.protocol === 'TCP' && (p.port === port || p.port === portName)) &&
      rule.from.some((peer) => {
        if (peer.ipBlock) {
          return false;
        }
        // A podSelector alone means the policy's own namespace; with a namespaceSelector, both must match.
        const inNamespace = peer.namespaceSelector
          ? selects(peer.namespaceSelector, namespaceLabels)
          : from.namespace === policy.metadata.namespace;
        return inNamespace && (!peer.podSelector || selects(peer.podSelector, from.labels));
      })
  );
}

const grafana = { 'app.kubernetes.io/name': 'grafana', 'app.kubernetes.io/instance': 'grafana' };
const port = 3001;

it('selects the backend pods deploy/ runs, in their namespace, the ones its Service sends to', () => {
  expect(policy.metadata.namespace).toBe(backend.metadata.namespace);
  expect(selects(policy.spec.podSelector, backend.spec.template.metadata.labels)).toBe(true);
  expect(policy.spec.podSelector.matchLabels).toEqual(service.spec.selector);
  expect(container.ports).toEqual([{ name: 'http', containerPort: port }]);
  expect(policy.spec.policyTypes).toEqual(['Ingress']);
});

it('lets only Grafana, in its documented namespace, reach the backend port', () => {
  expect(allows({ namespace: 'monitoring', labels: grafana }, port)).toBe(true);
  expect(allows({ namespace: 'default', labels: grafana }, port)).toBe(false);
  expect(allows({ namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } }, port)).toBe(false);
  expect(allows({ namespace: 'monitoring', labels: {} }, port)).toBe(false);
  expect(allows({ namespace: 'failureprophet', labels: backend.spec.template.metadata.labels }, port)).toBe(false);
  expect(allows({ namespace: 'monitoring', labels: grafana }, 9090)).toBe(false);
});

it('uses only what the check above understands: matchLabels, no ipBlock, no open rule', () => {
  const peers = policy.spec.ingress.flatMap((rule) => rule.from);
  expect(peers.length).toBeGreaterThan(0);
  for (const peer of peers) {
    expect(Object.keys(peer).sort()).toEqual(['namespaceSelector', 'podSelector']);
    expect(peer.namespaceSelector!.matchExpressions).toBeUndefined();
    expect(peer.podSelector!.matchExpressions).toBeUndefined();
    expect(Object.keys(peer.podSelector!.matchLabels ?? {})).not.toHaveLength(0);
  }
  expect(policy.spec.ingress.every((rule) => rule.ports.length > 0)).toBe(true);
});
