import { kubeActionSchema } from '../server/kubernetes';
import * as detection from '../detection/severity';
import * as healing from './healing';
import * as pipeline from './pipeline';
import { isK8sName } from './vocabulary';

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

  it('the action types (stored in every action, breaker and outcome row) are the planned actions’ own', () => {
    expect(healing.actionTypeSchema.options).toEqual(
      healing.plannedActionSchema.options.map((o) => o.shape.type.value)
    );
    // The names rows hold: renaming one would leave stored rows unreadable.
    expect(healing.actionTypeSchema.options).toEqual([
      'scale',
      'restart',
      'delete-pod',
      'cordon',
      'uncordon',
      'drain',
      'notify',
    ]);
  });
});

describe('Kubernetes names', () => {
  it('are DNS-1123 subdomains for objects and labels for namespaces, as the API server takes them', () => {
    for (const name of ['cart', 'cart-7d9f-abcde', 'cart.v2', 'ip-10-0-1-5.ec2.internal', '0']) {
      expect(isK8sName(name)).toBe(true);
    }
    for (const name of [
      '',
      '.',
      '..',
      'a/b',
      'Cart',
      'cart ',
      ' cart',
      '-cart',
      'cart-',
      'a..b',
      'cart\u200b',
      'café',
    ]) {
      expect(isK8sName(name)).toBe(false);
    }
    expect(isK8sName('shop', 'namespace')).toBe(true);
    expect(isK8sName('shop.eu', 'namespace')).toBe(false);
    expect(isK8sName('n'.repeat(63), 'namespace')).toBe(true);
    expect(isK8sName('n'.repeat(64), 'namespace')).toBe(false);
  });

  it('objects are made from labels only by Kubernetes names, and what was recorded before that rule reads back', () => {
    expect(healing.kubeObjectRefOf({ kind: 'pod', namespace: 'shop', name: '..' })).toBeUndefined();
    expect(healing.kubeObjectRefOf({ kind: 'pod', namespace: 'Shop', name: 'cart' })).toBeUndefined();
    expect(healing.kubeObjectRefOf({ kind: 'node', name: 'worker-1:9100' })).toBeUndefined();
    expect(healing.kubeObjectRefOf({ kind: 'pod', namespace: 'shop', name: 'cart-0' })).toEqual({
      kind: 'pod',
      namespace: 'shop',
      name: 'cart-0',
    });
    // An action proposed on a label value before the rule (it failed at the API server) is history: the
    // lists that read it back must not fail on it. It is never sent again (kubernetes/client.ts refuses it).
    const recorded = { type: 'restart', target: { kind: 'deployment', namespace: 'Shop', name: 'Cart_v1' } };
    expect(healing.kubernetesActionSchema.parse(recorded)).toEqual(recorded);
    expect(healing.kubeObjectRefSchema.parse({ kind: 'node', name: 'worker-1:9100' })).toEqual({
      kind: 'node',
      name: 'worker-1:9100',
    });
  });

  it('a safety limit or a pause names a namespace without the spaces and capitals of a paste', () => {
    // deny is compared with the objects' namespaces as written: " kube-system" or "Kube-System" denied nothing.
    for (const deny of [[' kube-system'], ['Kube-System'], ['kube-system\n']]) {
      expect(healing.safetyLimitsSchema.parse({ namespaces: { allow: ['*'], deny } }).namespaces.deny).toEqual([
        'kube-system',
      ]);
    }
    expect(
      healing.safetyLimitsSchema.parse({ namespaces: { allow: ['*', ' Shop'], deny: [] } }).namespaces.allow
    ).toEqual(['*', 'shop']);
    expect(healing.putNamespacePausesBodySchema.parse({ pauses: [{ namespace: 'Shop ' }] }).pauses).toEqual([
      { namespace: 'shop' },
    ]);
    expect(healing.safetyLimitsSchema.safeParse({ namespaces: { allow: ['*'], deny: [' '] } }).success).toBe(false);
  });
});

describe('a list cursor in a query', () => {
  it('is no cursor when empty, a page place when valid, a named refusal otherwise, and typed as a string', () => {
    expect(healing.actionListQuerySchema.parse({ cursor: '' }).cursor).toBeUndefined();
    expect(healing.actionListQuerySchema.parse({}).cursor).toBeUndefined();
    expect(healing.actionListQuerySchema.parse({ cursor: 'o42' }).cursor).toEqual({ older: true, id: 42 });
    const refused = healing.actionListQuerySchema.safeParse({ cursor: 'x1' });
    expect(refused.error?.issues[0].message).toMatch(/not the next or previous of a page/);
    // A repeated `?cursor=a&cursor=b` arrives as an array: refused, not read as its first.
    expect(healing.actionListQuerySchema.safeParse({ cursor: ['o1', 'o2'] }).success).toBe(false);
    // What a client may send is what the query string can hold (this file is type-checked).
    const query: healing.ActionListQuery = { cursor: 'n7' };
    // @ts-expect-error a cursor is text, not a number
    const wrong: healing.ActionListQuery = { cursor: 7 };
    expect([query.cursor, wrong.cursor]).toEqual(['n7', 7]);
  });
});

describe('numeric query parameters', () => {
  const schemas = {
    anomalies: pipeline.anomaliesQuerySchema,
    predictions: pipeline.predictionsQuerySchema,
    audit: healing.auditQuerySchema,
  };
  const refusal = (schema: (typeof schemas)[keyof typeof schemas], query: Record<string, string>) => {
    const parsed = schema.safeParse(query);
    return parsed.success ? 'accepted' : `${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`;
  };

  it.each(Object.entries(schemas))(
    '%s: reads from and to written in decimal digits, and refuses every other form by name',
    (_, schema) => {
      expect(schema.parse({ from: '0', to: '1744027200000' })).toMatchObject({ from: 0, to: 1744027200000 });
      expect(schema.parse({ from: '5', to: '5' })).toMatchObject({ from: 5, to: 5 });
      const digits = 'from: must be a whole number in decimal digits (0-9 only)';
      for (const from of ['', ' 7', '0x10', '1e3', '1.5', '-1', '+1', 'Infinity', '１２']) {
        expect({ from, said: refusal(schema, { from }) }).toEqual({ from, said: digits });
      }
      expect(refusal(schema, { to: '' })).toBe('to: must be a whole number in decimal digits (0-9 only)');
      expect(refusal(schema, { from: '99999999999999999999999' })).toMatch(/^from: .*9007199254740991/);
    }
  );

  it.each(Object.entries(schemas))('%s: refuses from after to, naming both', (_, schema) => {
    expect(refusal(schema, { from: '5', to: '1' })).toBe(
      'from: must not be after to (from=5, to=1; both epoch milliseconds)'
    );
    expect(refusal(schema, { from: '5' })).toBe('accepted');
    expect(refusal(schema, { to: '1' })).toBe('accepted');
  });

  it('reads a list limit and an audit action id in decimal digits only', () => {
    expect(pipeline.anomaliesQuerySchema.parse({}).limit).toBe(100);
    expect(pipeline.modelsQuerySchema.parse({ limit: '7' }).limit).toBe(7);
    for (const limit of ['', '1e2', '0x10', ' 5']) {
      expect(pipeline.targetsQuerySchema.safeParse({ limit }).success).toBe(false);
      expect(pipeline.predictionsQuerySchema.safeParse({ limit }).success).toBe(false);
    }
    expect(healing.auditQuerySchema.parse({ actionId: '12' }).actionId).toBe(12);
    expect(healing.auditQuerySchema.safeParse({ actionId: '0x0c' }).success).toBe(false);
  });
});
