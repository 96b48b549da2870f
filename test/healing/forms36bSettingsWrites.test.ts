import type { PostgresStore } from '../../src/server/store/postgres';
import type { SqliteStore } from '../../src/server/store/sqlite';
import { assembledStores, type StoreBackend } from '../harness/assembledStores';
import { AUTH } from '../harness/server';
import { TestClock } from '../pipeline/helpers';

// The healing settings' PUTs refuse what can never match or apply (a namespace, watch or label no
// trigger can carry) with a 400 naming the field and why; the same values saved by an earlier build,
// before the refusal, still read back, on SQLite and on PostgreSQL.

const LONG = 'n'.repeat(300);
const NOT_A_NAMESPACE = (word: string) =>
  `"${word}" is not a namespace name: lower-case letters, digits and -, starting and ending with a letter or digit`;

/** A policy with one match condition; the rest as a valid policy has it. */
const policyMatching = (match: object) => ({ name: 'p', match, action: { type: 'restart' } });

/** What earlier builds saved: each value one a request is now refused for. */
const OLD_POLICY = {
  name: 'old',
  enabled: true,
  gate: 'approve',
  action: { type: 'restart' },
  match: { namespaces: ['Shop!', LONG], watches: ['my watch'], labels: { app: '', 'app!': 'cart', '': 'x' } },
};
const OLD_DENY = ['bad name!', LONG];
const OLD_PAUSE = { namespace: 'bad name!', reason: 'migration', by: 'bob', at: 1 };

const opens = assembledStores('forms36b');

/** Writes the rows as an earlier build left them (nothing in the backend reads them before a request). */
async function withOldRows(store: SqliteStore | PostgresStore): Promise<void> {
  await store.settings.set('healing.policies', { value: [OLD_POLICY], updatedAt: 1, updatedBy: 'bob' });
  await store.settings.set('healing.limits', {
    value: { namespaces: { allow: ['*'], deny: OLD_DENY } },
    updatedAt: 1,
    updatedBy: 'bob',
  });
  await store.settings.set('healing.namespacePauses', [OLD_PAUSE]);
}

describe.each(Object.keys(opens) as Array<keyof typeof opens>)('the healing settings on %s', (kind) => {
  let opened: StoreBackend | undefined;
  afterEach(async () => {
    await opened?.close();
    opened = undefined;
  });
  const open = () => opens[kind]({ watches: [] }, new TestClock(Date.UTC(2025, 5, 1)));
  const call = (method: 'GET' | 'PUT', url: string, payload?: object) =>
    opened!.app.inject({ method, url, payload, headers: { ...AUTH, 'x-grafana-user': 'admin' } });

  it('refuses a policy whose match can never match, naming the field and why, and saves a valid one', async () => {
    opened = await open();
    const refusals: Array<[object, string, string]> = [
      [{ namespaces: ['shop', 'Shop!'] }, 'body.policies.0.match.namespaces.1', NOT_A_NAMESPACE('Shop!')],
      [
        { namespaces: [LONG] },
        'body.policies.0.match.namespaces.0',
        'A namespace name is at most 63 characters (this one has 300)',
      ],
      [
        { watches: ['latency', 'my watch'] },
        'body.policies.0.match.watches.1',
        '"my watch" is not a watch name: letters, digits, _ . - (it appears in target ids and metric labels)',
      ],
      [
        { labels: { app: '' } },
        'body.policies.0.match.labels',
        '"app" has no value to match (an empty label is no label)',
      ],
      [
        { labels: { 'a\u0000b': 'cart' } },
        'body.policies.0.match.labels',
        '"a\\u0000b" is not a label name a policy can use: it holds U+0000 (NUL), which the stores cannot keep',
      ],
      [
        { alertLabels: { '': 'x' } },
        'body.policies.0.match.alertLabels',
        'a label to match needs a name (the one with value "x" has none)',
      ],
    ];
    for (const [match, field, reason] of refusals) {
      const res = await call('PUT', '/api/admin/policies', { policies: [policyMatching(match)] });
      expect({ status: res.statusCode, body: res.json() }).toEqual({
        status: 400,
        body: { error: 'bad_request', field, message: `${field}: ${reason}` },
      });
    }
    expect((await call('GET', '/api/policies')).json().source).toBe('default');

    const valid = {
      namespaces: ['shop'],
      watches: ['node.cpu-1'],
      labels: { 'app.kubernetes.io/name': 'cart', __name__: 'up' },
      alertLabels: { alertname: 'KubePodCrashLooping' },
    };
    const saved = await call('PUT', '/api/admin/policies', { policies: [policyMatching(valid)] });
    expect(saved.statusCode).toBe(200);
    expect(saved.json().policies[0].match).toEqual(valid);
  });

  it('refuses safety limits and pauses naming no namespace, and takes "*", spaces and capitals as the reads do', async () => {
    opened = await open();
    const deny = await call('PUT', '/api/admin/safety-limits', { namespaces: { allow: ['*'], deny: ['bad name!'] } });
    expect(deny.statusCode).toBe(400);
    expect(deny.json()).toMatchObject({
      field: 'body.namespaces.deny.0',
      message: expect.stringContaining(NOT_A_NAMESPACE('bad name!')),
    });
    const allow = await call('PUT', '/api/admin/safety-limits', { namespaces: { allow: ['shop', LONG] } });
    expect(allow.json()).toMatchObject({
      field: 'body.namespaces.allow.1',
      message: 'body.namespaces.allow.1: A namespace name is at most 63 characters (this one has 300)',
    });
    // "*" means every namespace in the allow-list only: in the deny-list it would deny none.
    const star = await call('PUT', '/api/admin/safety-limits', { namespaces: { allow: ['*'], deny: ['*'] } });
    expect(star.json()).toMatchObject({
      field: 'body.namespaces.deny.0',
      message: expect.stringContaining(NOT_A_NAMESPACE('*')),
    });
    expect((await call('GET', '/api/safety-limits')).json().source).toBe('default');
    const saved = await call('PUT', '/api/admin/safety-limits', {
      namespaces: { allow: ['*'], deny: [' Kube-System'] },
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.json().limits.namespaces).toEqual({ allow: ['*'], deny: ['kube-system'] });

    const pause = await call('PUT', '/api/admin/namespace-pauses', {
      pauses: [{ namespace: 'shop' }, { namespace: 'bad name!' }],
    });
    expect(pause.json()).toMatchObject({
      field: 'body.pauses.1.namespace',
      message: expect.stringContaining(NOT_A_NAMESPACE('bad name!')),
    });
    expect((await call('GET', '/api/namespace-pauses')).json()).toEqual({ pauses: [] });
    const paused = await call('PUT', '/api/admin/namespace-pauses', { pauses: [{ namespace: ' Shop' }] });
    expect(paused.json().pauses).toMatchObject([{ namespace: 'shop', by: 'admin' }]);
  });

  it("refuses a watch's target or peer label that is not a Prometheus 3 label name, by the rule the Watches tab uses", async () => {
    opened = await open();
    const watch = { name: 'web', queries: { latency: 'up' }, target: ['pod'] };
    for (const [field, labels, message] of [
      ['target', ['pod', 'a\u0000b'], 'it holds U+0000 (NUL), which the stores cannot keep'],
      ['peers', [''], 'A Prometheus label name cannot be empty'],
    ] as const) {
      const res = await call('PUT', '/api/admin/watches', { watches: [{ ...watch, [field]: labels }] });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        field: `body.watches.0.${field}.${labels.length - 1}`,
        message: expect.stringContaining(message),
      });
    }
  });

  it('still reads back policies, limits and pauses an earlier build saved with such values', async () => {
    opened = await open();
    await withOldRows(opened.store);
    const policies = await call('GET', '/api/policies');
    expect(policies.statusCode).toBe(200);
    expect(policies.json()).toMatchObject({ source: 'store', updatedBy: 'bob', policies: [{ ...OLD_POLICY }] });
    const limits = await call('GET', '/api/safety-limits');
    expect(limits.statusCode).toBe(200);
    expect(limits.json()).toMatchObject({ source: 'store', limits: { namespaces: { allow: ['*'], deny: OLD_DENY } } });
    const pauses = await call('GET', '/api/namespace-pauses');
    expect(pauses.statusCode).toBe(200);
    expect(pauses.json()).toEqual({ pauses: [OLD_PAUSE] });
  });
});
