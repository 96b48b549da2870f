// Lists as kube-apiserver serves them: which field labels each kind takes, and chunking with
// `limit` and `continue`, expired tokens included. Used by ./server.ts.

import type { KubeObject } from './objects';

/** A list request the API server refuses: the code and the words of its Status. */
export class ListRefusal extends Error {
  constructor(
    readonly code: 400 | 410,
    message: string,
    /** 410: the token to carry on with anyway, inconsistently (ListMeta.continue of the Status). */
    readonly continueToken?: string
  ) {
    super(message);
  }
}

/**
 * The field labels a fieldSelector may name, per store key, as the field label conversion functions
 * declare them (pkg/apis/core/v1/conversion.go: Pod, Node); a kind without its own takes
 * metadata.name and metadata.namespace (runtime.DefaultMetaV1FieldSelectorConversion). Any other label
 * is "field label not supported" (400, handlers/get.go ListResource: NewBadRequest).
 */
const fieldLabels: Record<string, string[]> = {
  '/pods': [
    'metadata.name',
    'metadata.namespace',
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  '/nodes': ['metadata.name', 'spec.unschedulable'],
};
const defaultFieldLabels = ['metadata.name', 'metadata.namespace'];

/** A field's value as the selectable fields set it: absent strings are "", booleans "true"/"false". */
function fieldValue(obj: KubeObject, label: string): string {
  const value = label.split('.').reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], obj);
  if (label === 'spec.unschedulable' || label === 'spec.hostNetwork') {
    return String(value === true);
  }
  return value === undefined || value === null ? '' : String(value);
}

/**
 * A fieldSelector's equality terms (`spec.nodeName=n1`, `==` too), each checked against the kind's
 * field labels. fields.ParseSelector also knows `!=`; this double refuses it rather than match it wrongly.
 */
export function fieldFilter(key: string, selector: string | undefined): (obj: KubeObject) => boolean {
  const terms: Array<[string, string]> = [];
  for (const term of (selector ?? '').split(',').filter(Boolean)) {
    if (!/^[^=!() ]+==?[^=!() ]*$/.test(term)) {
      throw new ListRefusal(400, `the test server supports equality field selectors only, not "${term}"`);
    }
    const [label, value] = term.split(/==?/);
    if (!(fieldLabels[key] ?? defaultFieldLabels).includes(label)) {
      throw new ListRefusal(400, `field label not supported: ${label}`);
    }
    terms.push([label, value ?? '']);
  }
  return (obj) => terms.every(([label, value]) => fieldValue(obj, label) === value);
}

const EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

interface Token {
  v: string;
  rv: number;
  start: string;
}

const encode = (token: Token) => Buffer.from(JSON.stringify(token)).toString('base64');

function decode(text: string): Token {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as Token;
    if (token.v !== 'meta.k8s.io/v1' || typeof token.rv !== 'number' || typeof token.start !== 'string') {
      throw new Error('not a continue token of this server');
    }
    return token;
  } catch (err) {
    throw new ListRefusal(400, `continue key is not valid: ${(err as Error).message}`);
  }
}

/** The key a list is ordered by, as the store orders it: namespace, then name. */
const keyOf = (obj: KubeObject) => `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;

/**
 * One chunk of a list, in key order, as etcd3's GetList serves it (apiserver pkg/storage/etcd3/store.go):
 * without `limit` every item; with it at most that many, and a `continue` token while more are left
 * (its version and the key to start from, apiserver pkg/storage/continue.go) with remainingItemCount
 * when nothing filters the list. A token that does not decode is a 400; one older than the compacted
 * revision (`expiredBefore`) is 410 Expired, carrying a token to go on inconsistently. Unlike etcd,
 * a later chunk is cut from the objects as they are now, not as they were at the token's version.
 */
export function chunk(
  items: KubeObject[],
  query: Record<string, string>,
  now: number,
  expiredBefore: number,
  filtered: boolean
): { items: KubeObject[]; metadata: Record<string, unknown> } {
  const limit = query.limit === undefined ? 0 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 0) {
    throw new ListRefusal(400, `limit: Invalid value: ${JSON.stringify(query.limit)}`);
  }
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  let start = '';
  let rv = now;
  if (query.continue) {
    const token = decode(query.continue);
    if (token.rv <= expiredBefore) {
      throw new ListRefusal(410, EXPIRED, encode({ v: 'meta.k8s.io/v1', rv: now, start: token.start }));
    }
    start = token.start;
    rv = token.rv;
  }
  const rest = sorted.filter((o) => keyOf(o) >= start);
  const page = limit > 0 ? rest.slice(0, limit) : rest;
  const left = rest.length - page.length;
  return {
    items: page,
    metadata: {
      resourceVersion: String(rv),
      ...(left > 0
        ? {
            continue: encode({ v: 'meta.k8s.io/v1', rv, start: `${keyOf(rest[page.length])}` }),
            ...(filtered ? {} : { remainingItemCount: left }),
          }
        : {}),
    },
  };
}
