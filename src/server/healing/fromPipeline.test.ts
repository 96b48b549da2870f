import type { Anomaly } from '../../contract/pipeline';
import { triggerFromAnomaly } from './fromPipeline';

const anomaly: Anomaly = {
  id: 17,
  target: 'latency{namespace="shop",deployment="cart"}',
  watch: 'latency',
  labels: { namespace: 'shop', deployment: 'cart' },
  start: 1000,
  end: 2000,
  peakScore: 0.93,
  severity: 'critical',
  failureModel: 'resource_exhaustion',
  state: 'open',
  signals: ['p99', 'memory'],
  direction: 'above',
  reasons: ['memory forecast to cross its limit in 12 min'],
  feedback: [],
};

it("turns the pipeline's anomaly and its target's object into a healing trigger", () => {
  expect(triggerFromAnomaly(anomaly, { kind: 'Deployment', namespace: 'shop', name: 'cart' })).toEqual({
    source: 'anomaly',
    id: 17,
    watch: 'latency',
    labels: { namespace: 'shop', deployment: 'cart' },
    severity: 'critical',
    failureModel: 'resource_exhaustion',
    score: 0.93,
    object: { kind: 'deployment', namespace: 'shop', name: 'cart' },
    summary:
      'resource exhaustion on latency{namespace="shop",deployment="cart"}: p99, memory moved (memory forecast to cross its limit in 12 min)',
    startedAt: 1000,
  });
  expect(triggerFromAnomaly(anomaly, { kind: 'Node', name: 'n1' }).object).toEqual({ kind: 'node', name: 'n1' });
  // A namespaced object without its namespace cannot be acted on: no object rather than a wrong one.
  expect(triggerFromAnomaly(anomaly, { kind: 'Pod', name: 'cart-1' }).object).toBeUndefined();
});

it('maps a target to no object when its labels do not hold Kubernetes names (a scraped target writes its own labels)', () => {
  for (const object of [
    { kind: 'Pod', namespace: 'shop', name: '..' },
    { kind: 'Pod', namespace: 'shop', name: '.' },
    { kind: 'Deployment', namespace: 'Kube-System', name: 'coredns' },
    { kind: 'Deployment', namespace: 'kube-system ', name: 'coredns' },
    { kind: 'Node', name: 'n1/../..' },
  ] as const) {
    const trigger = triggerFromAnomaly(anomaly, object);
    expect(trigger.object).toBeUndefined();
    // The rest of the trigger still reaches the engine: a notify policy can still tell someone.
    expect(trigger).toMatchObject({ source: 'anomaly', id: 17, severity: 'critical' });
  }
});
