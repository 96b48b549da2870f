import { kubeActionSchema } from '../server/kubernetes';
import * as detection from '../detection/severity';
import * as healing from './healing';
import * as pipeline from './pipeline';

describe('one declaration per domain word', () => {
  it('pipeline and healing share the very same severity and failure model schemas, built from the library’s lists', () => {
    expect(healing.severitySchema).toBe(pipeline.severitySchema);
    expect(healing.failureModelSchema).toBe(pipeline.failureModelSchema);
    expect(pipeline.severitySchema.options).toEqual([...detection.SEVERITIES]);
    expect(pipeline.failureModelSchema.options).toEqual([...detection.FAILURE_MODELS]);
    expect(pipeline.directionSchema.options).toEqual([...detection.BAND_DIRECTIONS]);
  });

  it('the Kubernetes module runs the contract’s action schema, not a copy of it', () => {
    expect(kubeActionSchema).toBe(healing.kubernetesActionSchema);
  });

  it('a planned action is a Kubernetes action or a notification, and nothing else', () => {
    const cart = { kind: 'deployment', namespace: 'shop', name: 'cart' };
    const scale = { type: 'scale', target: cart, delta: 2, ceiling: 10 };
    const notify = { type: 'notify', message: 'cart is slow' };
    expect(healing.kubernetesActionSchema.parse(scale)).toEqual(scale);
    expect(healing.plannedActionSchema.parse(scale)).toEqual(scale);
    expect(healing.plannedActionSchema.parse(notify)).toEqual(notify);
    expect(healing.kubernetesActionSchema.safeParse(notify).success).toBe(false);
    // The workload kinds each action takes, and Kubernetes' name limit, hold in both.
    const daemonScale = { ...scale, target: { ...cart, kind: 'daemonset' } };
    expect(healing.plannedActionSchema.safeParse(daemonScale).success).toBe(false);
    expect(healing.plannedActionSchema.safeParse({ type: 'cordon', node: 'n'.repeat(254) }).success).toBe(false);
    expect(healing.plannedActionSchema.safeParse({ type: 'cordon', node: 'n'.repeat(253) }).success).toBe(true);
  });
});
