// The three patch formats the API server accepts, as far as the actions need them. The server
// picks the format from the Content-Type, so a merge-style body sent as a JSON Patch must fail the
// way it fails on a real cluster.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7386: objects merge, null deletes, anything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) {
    return patch;
  }
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else {
      result[key] = mergePatch(result[key] ?? null, value);
    }
  }
  return result;
}

export class PatchError extends Error {}

/**
 * A JSON Patch that decoded but does not apply to the object (a missing member, a failed test): the
 * API server answers 422 for these (handlers/patch.go, applyJSPatch: patchObj.Apply), 400 only for
 * a body that is not a patch.
 */
export class PatchApplyError extends PatchError {}

interface JsonPatchOp {
  op: string;
  path: string;
  value?: Json;
}

function pointer(path: string): string[] {
  return path
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * RFC 6902, the operations a client would plausibly send: add, replace, remove, test. As in the JSON
 * Patch library kube-apiserver uses (evanphx/json-patch), replace and remove need the member to exist.
 */
export function jsonPatch(target: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) {
    // The real server's words when a merge body arrives as application/json-patch+json.
    throw new PatchError('json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp');
  }
  const doc = structuredClone(target) as JsonObject;
  for (const op of ops as JsonPatchOp[]) {
    const parts = pointer(op.path);
    const last = parts.pop();
    let parent: Json = doc;
    for (const part of parts) {
      if (!isObject(parent) || !Object.hasOwn(parent, part)) {
        throw new PatchApplyError(
          `${op.op} operation does not apply: doc is missing path: "${op.path}": missing value`
        );
      }
      parent = parent[part];
    }
    if (!isObject(parent) || last === undefined) {
      throw new PatchApplyError(`unable to apply ${op.op} at ${op.path}`);
    }
    const present = Object.hasOwn(parent, last);
    if (op.op === 'add') {
      parent[last] = op.value ?? null;
    } else if (op.op === 'replace' && present) {
      parent[last] = op.value ?? null;
    } else if (op.op === 'remove' && present) {
      delete parent[last];
    } else if (op.op === 'replace' || op.op === 'remove') {
      throw new PatchApplyError(`${op.op} operation does not apply: doc is missing key: ${op.path}: missing value`);
    } else if (op.op === 'test') {
      if (JSON.stringify(parent[last]) !== JSON.stringify(op.value)) {
        throw new PatchApplyError(`testing value ${op.path} failed: test failed`);
      }
    } else {
      throw new PatchApplyError(`Unexpected kind: ${op.op}`);
    }
  }
  return doc;
}
