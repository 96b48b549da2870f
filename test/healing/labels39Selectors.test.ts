import { actionListSchema, policiesResponseSchema, type PolicyInput } from '../../src/contract/healing';
import { targetId } from '../../src/server/pipeline/targets';
import { anomalyRecord } from '../harness/anomalyRecords';
import { asAdmin, assembledStores, type StoreBackend } from '../harness/assembledStores';
import { TestClock } from '../pipeline/helpers';

// A policy's label selectors are matched against a target's Prometheus labels (or an alert's) in the
// engine, never sent to Kubernetes: Prometheus 3 gives targets UTF-8 label names (`région`, OpenTelemetry's
// `service.name`), so the PUT takes any name a target can carry, and a target carrying it is matched, on
// each store.

const T0 = Date.parse('2026-03-01T12:00:00Z');
const REGION = 'région';

const EU_WEST: PolicyInput = {
  name: 'eu-west',
  match: { labels: { [REGION]: 'eu-ouest', 'service.name': 'cart' }, alertLabels: { 'k8s.cluster name': 'prod' } },
  action: { type: 'notify' },
  gate: 'approve',
};
const IN_EU_WEST: PolicyInput = { ...EU_WEST, name: 'in-eu-west', match: { labels: EU_WEST.match!.labels } };

const stores = assembledStores('labels39');

describe.each(['SQLite', 'PostgreSQL'] as const)("a policy's UTF-8 label selectors on %s", (kind) => {
  let backend: StoreBackend;
  beforeEach(async () => {
    backend = await stores[kind]({ watches: [] }, new TestClock(T0));
  });
  afterEach(() => backend.close());

  const call = (method: 'GET' | 'PUT', url: string, payload?: object) => asAdmin(backend)(method, url, payload);

  /** An anomaly of watch `w`'s target with these labels, stored and announced as the pipeline's cycle does: its id. */
  async function anomalyOf(i: number, labels: Record<string, string>) {
    const [stored] = await backend.store.pipeline.commitCycle({
      watch: 'w',
      lastProcessed: T0,
      targets: [],
      anomalies: [anomalyRecord(i, { state: 'open', start: T0, end: T0, labels, targetId: targetId('w', labels) })],
      predictions: [],
      forgotten: [],
    });
    const { targetId: target, ...anomaly } = stored;
    backend.backend.pipeline.listeners.opened({
      anomaly: { ...anomaly, id: stored.id!, target },
      object: null,
      score: 0.9,
    });
    await backend.backend.healing.idle();
    return stored.id!;
  }

  it('saves selectors with UTF-8 names and proposes an action for a target carrying them, none for another', async () => {
    const put = await call('PUT', '/api/admin/policies', { policies: [EU_WEST, IN_EU_WEST] });
    expect({ status: put.statusCode, body: put.json() }).toMatchObject({ status: 200 });
    const read = policiesResponseSchema.parse((await call('GET', '/api/policies')).json());
    expect(read.source).toBe('store');
    expect(read.policies.map((p) => p.match)).toEqual([EU_WEST.match, IN_EU_WEST.match]);

    const matching = await anomalyOf(1, { job: 'j1', [REGION]: 'eu-ouest', 'service.name': 'cart' });
    await anomalyOf(2, { job: 'j2', [REGION]: 'eu-est', 'service.name': 'cart' });
    const actions = actionListSchema.parse((await call('GET', '/api/actions')).json()).items;
    // `eu-west` also wants an alert's label, which no anomaly carries.
    expect(actions.map((a) => [a.policy, a.trigger.id])).toEqual([['in-eu-west', matching]]);
  });

  it('still refuses a selector with no name or a name no store keeps, naming why', async () => {
    for (const [labels, reason] of [
      [{ '': 'x' }, 'a label to match needs a name (the one with value "x" has none)'],
      [
        { 'a\u0000b': 'x' },
        '"a\\u0000b" is not a label name a policy can use: it holds U+0000 (NUL), which the stores cannot keep',
      ],
    ] as const) {
      const res = await call('PUT', '/api/admin/policies', { policies: [{ ...IN_EU_WEST, match: { labels } }] });
      const field = 'body.policies.0.match.labels';
      expect({ status: res.statusCode, body: res.json() }).toEqual({
        status: 400,
        body: { error: 'bad_request', field, message: `${field}: ${reason}` },
      });
    }
    expect(policiesResponseSchema.parse((await call('GET', '/api/policies')).json()).source).toBe('default');
  });
});
