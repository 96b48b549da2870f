// Which fields exist, for the test server's fieldValidation (Ignore, Warn, Strict) on PATCH: as far
// as the healing actions' patches reach, no further.
//
// The API server decodes the patched object into its Go type (handlers/patch.go: jsonPatcher for
// merge and JSON patches, runtime.DecodeInto with the strict serializer; smpPatcher for strategic
// merge, runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation). A field the type does
// not have is dropped, and reported per fieldValidation: Ignore says nothing, Warn (the default when
// absent: handlers/rest.go, fieldValidation) adds a Warning header per field, Strict fails the patch.
// The converter names each field by its dotted path (apimachinery runtime/converter.go,
// recordUnknownField: `unknown field "spec.replicaz"`), sorted.
//
// This module knows every field of the levels it models (taken from the k8s.io/api types), so
// anything else at those levels is unknown to the API server too. Subtrees it does not model (a pod
// template's spec, a Deployment's strategy, status) it cannot judge: with Strict, a patch reaching
// into one is refused in the test server's own words rather than passed or failed by a guess.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A struct whose fields are all listed; 'value' a scalar or list of scalars; 'map' free keys (labels); 'unmodelled' a struct not listed. */
export type FieldSchema = 'value' | 'map' | 'unmodelled' | { [field: string]: FieldSchema };

// k8s.io/apimachinery/pkg/apis/meta/v1/types.go, ObjectMeta: every field.
const objectMeta: FieldSchema = {
  name: 'value',
  generateName: 'value',
  namespace: 'value',
  selfLink: 'value',
  uid: 'value',
  resourceVersion: 'value',
  generation: 'value',
  creationTimestamp: 'value',
  deletionTimestamp: 'value',
  deletionGracePeriodSeconds: 'value',
  labels: 'map',
  annotations: 'map',
  ownerReferences: 'unmodelled',
  finalizers: 'value',
  managedFields: 'unmodelled',
};

const typeMeta = { apiVersion: 'value', kind: 'value' } as const;

// k8s.io/api/core/v1/types.go, PodTemplateSpec.
const podTemplate: FieldSchema = { metadata: objectMeta, spec: 'unmodelled' };

// k8s.io/api/apps/v1/types.go: StatefulSetUpdateStrategy and DaemonSetUpdateStrategy.
const updateStrategy: FieldSchema = { type: 'value', rollingUpdate: 'unmodelled' };

/** Per kind as stored (and Scale, the scale subresource's autoscaling/v1 type). */
export const schemas: Record<string, FieldSchema> = {
  // k8s.io/api/autoscaling/v1/types.go: Scale, ScaleSpec, ScaleStatus.
  Scale: {
    ...typeMeta,
    metadata: objectMeta,
    spec: { replicas: 'value' },
    status: { replicas: 'value', selector: 'value' },
  },
  // k8s.io/api/core/v1/types.go: NodeSpec.
  Node: {
    ...typeMeta,
    metadata: objectMeta,
    spec: {
      podCIDR: 'value',
      podCIDRs: 'value',
      providerID: 'value',
      unschedulable: 'value',
      taints: 'unmodelled',
      configSource: 'unmodelled',
      externalID: 'value',
    },
    status: 'unmodelled',
  },
  // k8s.io/api/apps/v1/types.go: DeploymentSpec.
  Deployment: {
    ...typeMeta,
    metadata: objectMeta,
    spec: {
      replicas: 'value',
      selector: 'unmodelled',
      template: podTemplate,
      strategy: 'unmodelled',
      minReadySeconds: 'value',
      revisionHistoryLimit: 'value',
      paused: 'value',
      progressDeadlineSeconds: 'value',
    },
    status: 'unmodelled',
  },
  // StatefulSetSpec.
  StatefulSet: {
    ...typeMeta,
    metadata: objectMeta,
    spec: {
      replicas: 'value',
      selector: 'unmodelled',
      template: podTemplate,
      volumeClaimTemplates: 'unmodelled',
      serviceName: 'value',
      podManagementPolicy: 'value',
      updateStrategy,
      revisionHistoryLimit: 'value',
      minReadySeconds: 'value',
      persistentVolumeClaimRetentionPolicy: 'unmodelled',
      ordinals: 'unmodelled',
    },
    status: 'unmodelled',
  },
  // DaemonSetSpec.
  DaemonSet: {
    ...typeMeta,
    metadata: objectMeta,
    spec: {
      selector: 'unmodelled',
      template: podTemplate,
      updateStrategy,
      minReadySeconds: 'value',
      revisionHistoryLimit: 'value',
    },
    status: 'unmodelled',
  },
};

const isObject = (value: unknown): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/**
 * The fields of `obj` its type does not have, by dotted path, sorted as the converter sorts them;
 * with `drop`, removed from `obj` as decoding into the type removes them. Unmodelled subtrees are
 * not looked into.
 */
export function unknownFields(obj: unknown, schema: FieldSchema, drop = false, path = ''): string[] {
  if (typeof schema === 'string' || !isObject(obj)) {
    return [];
  }
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(obj)) {
    const child = schema[key];
    if (child === undefined) {
      unknown.push(join(path, key));
      if (drop) {
        delete obj[key];
      }
    } else {
      unknown.push(...unknownFields(value, child, drop, join(path, key)));
    }
  }
  return path ? unknown : unknown.sort();
}

/** Where a patch body reaches into a subtree this module does not model (its own paths, dotted). */
export function unmodelledReach(body: unknown, schema: FieldSchema, path = ''): string[] {
  if (schema === 'unmodelled') {
    return [path];
  }
  if (typeof schema === 'string' || !isObject(body)) {
    return [];
  }
  return Object.entries(body).flatMap(([key, value]) =>
    schema[key] === undefined ? [] : unmodelledReach(value, schema[key], join(path, key))
  );
}

/** A JSON Patch's add and replace operations as the nested body they write, for unmodelledReach. */
export function jsonPatchReach(ops: unknown): Json {
  const reach: Record<string, Json> = {};
  for (const op of Array.isArray(ops) ? (ops as Array<{ op?: string; path?: string; value?: Json }>) : []) {
    if ((op.op !== 'add' && op.op !== 'replace') || typeof op.path !== 'string') {
      continue;
    }
    const parts = op.path
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    let at = reach;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) {
        at[part] = op.value ?? null;
      } else {
        at[part] = isObject(at[part]) ? at[part] : {};
        at = at[part] as Record<string, Json>;
      }
    });
  }
  return reach;
}

/** Go's `%+v` of a decoded JSON map, as the strategic merge path prints the patch: `map[spec:map[replicas:3]]`. */
export function goValue(value: unknown): string {
  if (value === null || value === undefined) {
    return '<nil>';
  }
  if (Array.isArray(value)) {
    return `[${value.map(goValue).join(' ')}]`;
  }
  if (isObject(value)) {
    return `map[${Object.keys(value)
      .sort()
      .map((k) => `${k}:${goValue(value[k])}`)
      .join(' ')}]`;
  }
  return String(value);
}

/** JSON as Go marshals a map: keys sorted, at every level (the merge path prints the patched object so). */
export function goJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(goJson).join(',')}]`;
  }
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${goJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
