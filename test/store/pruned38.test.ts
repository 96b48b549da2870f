import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assembledStores, NOTIFY_ON_APPROVAL, openedAnomaly, type StoreBackend } from '../harness/assembledStores';
import { AUTH } from '../harness/server';
import { TestClock } from '../pipeline/helpers';

// An approval request's annotation and webhook message link to its action, and outlive it: once
// retention pruned the action (and its anomaly), the link's 404 says how long such records are
// kept, so it does not read as a failure. Through the whole backend on each store.

const MINUTE = 60_000;
const DAY = 86_400_000;
const T0 = Date.parse('2025-06-01T12:00:00Z');

const stores = assembledStores('pruned38');

/** The notification webhook a notify action needs (without one it is blocked), taking whatever it is sent. */
const webhook = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
let webhookUrl: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;
});
afterAll(() => new Promise<void>((resolve) => webhook.close(() => resolve())));

type Retentions = { detection: number; healing: number };
const configOf = (days: Retentions) => ({
  watches: [],
  pipeline: { retentionDays: days.detection },
  healing: { retentionDays: days.healing, policies: [NOTIFY_ON_APPROVAL], notify: { webhookUrl } },
});

describe.each(['SQLite', 'PostgreSQL'] as const)('the 404 of a pruned action or anomaly on %s', (kind) => {
  let clock: TestClock;
  let backend: StoreBackend;
  const open = async (days: Retentions) => {
    backend = await stores[kind](configOf(days), clock);
  };
  beforeEach(() => {
    clock = new TestClock(T0);
  });
  afterEach(() => backend.close());

  const get = (url: string) => backend.app.inject({ url, headers: AUTH });

  /** An anomaly that proposed an action for approval, rejected, then closed: both finished. Their ids. */
  const finished = async () => {
    const { healing } = backend.backend;
    const anomaly = await openedAnomaly(backend, T0);
    const [action] = (await healing.actions.list({ triggerId: String(anomaly.id), limit: 10, offset: 0 })).items;
    expect(action.state).toBe('awaiting_approval');
    clock.ms += MINUTE;
    const rejected = await backend.app.inject({
      method: 'POST',
      url: `/api/actions/${action.id}/reject`,
      payload: {},
      headers: { ...AUTH, 'x-grafana-user': 'ada' },
    });
    expect(rejected.statusCode).toBe(200);
    clock.ms += MINUTE;
    await anomaly.close(clock.now());
    return { anomaly: anomaly.id, action: action.id };
  };

  it('says an action and an anomaly the retentions may have pruned are no longer kept', async () => {
    await open({ detection: 3, healing: 30 });
    const ids = await finished();
    expect((await get(`/api/actions/${ids.action}`)).statusCode).toBe(200);
    expect((await get(`/api/anomalies/${ids.anomaly}`)).statusCode).toBe(200);

    // Moved on without firing the clock's timers (the membership heartbeat would write all month).
    clock.ms += 31 * DAY;
    await backend.backend.healing.tick();
    await backend.backend.detectionRetention.tick();

    const action = await get(`/api/actions/${ids.action}`);
    expect(action.statusCode).toBe(404);
    expect(action.json()).toEqual({
      error: 'not_found',
      message: `there is no action ${ids.action}: finished actions are kept 30 days, so it may have been pruned`,
    });
    const anomaly = await get(`/api/anomalies/${ids.anomaly}`);
    expect(anomaly.statusCode).toBe(404);
    expect(anomaly.json()).toEqual({
      error: 'not_found',
      message: `no anomaly with id ${ids.anomaly}: closed anomalies are kept 3 days, so it may have been pruned`,
    });
  });

  it('says each retention only where it is on', async () => {
    await open({ detection: 0, healing: 1 });
    const action = await get('/api/actions/404');
    expect(action.statusCode).toBe(404);
    expect(action.json()).toEqual({
      error: 'not_found',
      message: 'there is no action 404: finished actions are kept 1 day, so it may have been pruned',
    });
    const anomaly = await get('/api/anomalies/404');
    expect(anomaly.statusCode).toBe(404);
    expect(anomaly.json()).toEqual({ error: 'not_found', message: 'no anomaly with id 404' });
  });
});
