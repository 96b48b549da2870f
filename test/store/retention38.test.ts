import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { actionSchema, auditListSchema } from '../../src/contract/healing';
import { assembledStores, NOTIFY_ON_APPROVAL, openedAnomaly, type StoreBackend } from '../harness/assembledStores';
import { AUTH } from '../harness/server';
import { TestClock } from '../pipeline/helpers';

// What is left naming an anomaly once both retentions have run, through the whole backend on each
// store: healing keeps 30 days, detection 3. An operator marks the anomaly a false positive (its
// proposal withdrawn), confirms it (the withdrawn action archived under `#withdrawn-`, proposed
// again), rejects the new proposal; the anomaly closes; 25 days on, a second operator marks it a
// false positive again. Past 30 days the first prune takes the trigger and the audit entries of the
// first day; the anomaly stays as long as the withdrawn archive, which goes in the next prune, and
// the anomaly with it. The audit entry of day 25 outlives all of them and still reads, by trigger id,
// by target and exported; the pruned anomaly and actions answer 404 (never 500), as unknown ones do.
// Grafana keeps the annotations: the anomaly's links nowhere, an approval request's links to its
// action, which answers that 404 once pruned.

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const T0 = Date.parse('2025-06-01T12:00:00Z');

/** What the backend sent to Grafana (its annotations) and to the notification webhook. */
interface Call {
  method: string;
  path: string;
  body: { text?: string; tags?: string[] };
}

/** Grafana's annotations API and the webhook, recording each call: a created annotation's id is the number of calls so far. */
async function receiver() {
  const calls: Call[] = [];
  const read = async (req: IncomingMessage) => {
    let text = '';
    for await (const chunk of req) {
      text += chunk;
    }
    return JSON.parse(text || '{}');
  };
  const server = createServer(async (req, res) => {
    calls.push({ method: req.method!, path: req.url!, body: await read(req) });
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: calls.length }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, calls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const configOf = (url: string) => ({
  watches: [],
  grafana: { url, token: 'glsa_retention38' },
  pipeline: { retentionDays: 3 },
  healing: { retentionDays: 30, policies: [NOTIFY_ON_APPROVAL], notify: { webhookUrl: `${url}/hook` } },
});

const stores = assembledStores('retention38');

describe.each(['SQLite', 'PostgreSQL'] as const)('what names a pruned anomaly on %s', (kind) => {
  let clock: TestClock;
  let backend: StoreBackend;
  let outside: Awaited<ReturnType<typeof receiver>>;
  beforeEach(async () => {
    clock = new TestClock(T0);
    outside = await receiver();
    backend = await stores[kind](configOf(outside.url), clock);
  });
  afterEach(async () => {
    await backend.close();
    await outside.close();
  });

  /**
   * Time moves on without firing the clock's timers: advance() would fire the watch-sharing
   * membership's heartbeat at each of its periods in a month, each a write to the store.
   */
  const later = (ms: number) => {
    clock.ms += ms;
  };
  const get = (url: string) => backend.app.inject({ url, headers: AUTH });
  const post = async (url: string, payload: object, user: string) => {
    const res = await backend.app.inject({
      method: 'POST',
      url,
      payload,
      headers: { ...AUTH, 'x-grafana-user': user },
    });
    await backend.backend.healing.idle();
    return res;
  };
  const actionsOf = async (anomalyId: number) =>
    (await backend.backend.healing.actions.list({ triggerId: String(anomalyId), limit: 50, offset: 0 })).items.map(
      (a) => ({ id: a.id, state: a.state })
    );
  /** Both retentions' ticks, healing's first, as the leader runs them. */
  const prune = async () => {
    await backend.backend.healing.tick();
    await backend.backend.detectionRetention.tick();
  };

  /** The anomaly healing took, withdrawn, confirmed, proposed again and rejected, closed: its id, target, and the two actions. */
  const lived = async () => {
    const anomaly = await openedAnomaly(backend, T0);
    const { id, targetId } = anomaly;
    const [first] = await actionsOf(id);
    expect(first.state).toBe('awaiting_approval');

    later(MINUTE);
    expect((await post(`/api/anomalies/${id}/feedback`, { kind: 'false_positive' }, 'ada')).statusCode).toBe(200);
    later(MINUTE);
    expect((await post(`/api/anomalies/${id}/feedback`, { kind: 'confirmed' }, 'ada')).statusCode).toBe(200);
    const again = (await actionsOf(id)).find((a) => a.id !== first.id)!;
    expect(await actionsOf(id)).toEqual([
      { id: again.id, state: 'awaiting_approval' },
      { id: first.id, state: 'cancelled' },
    ]);
    expect((await backend.backend.healing.actions.get(first.id))?.triggerKey).toBe(
      `anomaly:${id}#withdrawn-${first.id}`
    );
    later(MINUTE);
    expect((await post(`/api/actions/${again.id}/reject`, {}, 'ada')).statusCode).toBe(200);

    later(MINUTE);
    await anomaly.close(clock.now());
    await backend.backend.pipeline.annotator!.flush();
    return { id, targetId, first: first.id, again: again.id };
  };

  it('keeps the anomaly while its withdrawn archive stays, and the later audit entry reads once all are pruned', async () => {
    const { id, targetId, first, again } = await lived();
    const sent = outside.calls.length;

    // Day 25: marked a false positive again, after it closed: an audit entry newer than everything else it names.
    later(25 * DAY);
    expect((await post(`/api/anomalies/${id}/feedback`, { kind: 'false_positive' }, 'bob')).statusCode).toBe(200);
    const message = `bob marked anomaly ${id} a false positive: nothing to withdraw; nothing more is proposed for it unless an operator marks it confirmed`;
    const late = { kind: 'feedback', triggerId: String(id), user: 'bob', message };

    // Past 30 days: the trigger goes with the rejected proposal, and the first day's audit entries.
    later(6 * DAY);
    await prune();
    expect((await get(`/api/actions/${again}`)).statusCode).toBe(404);
    // The archive keeps the withdrawn action readable, and so the anomaly it names (and its feedback).
    const archived = await get(`/api/actions/${first}`);
    expect(archived.statusCode).toBe(200);
    expect(actionSchema.parse(archived.json())).toMatchObject({
      state: 'cancelled',
      trigger: { source: 'anomaly', id },
      reason: { kind: 'false-positive' },
    });
    const kept = await get(`/api/anomalies/${id}`);
    expect(kept.statusCode).toBe(200);
    expect(kept.json().anomaly.feedback).toHaveLength(3);

    // The next prune, an hour on: the archive with its action, then the anomaly with its feedback.
    later(HOUR);
    await prune();
    const pruned = await get(`/api/actions/${first}`);
    expect(pruned.statusCode).toBe(404);
    expect(pruned.json()).toEqual({
      error: 'not_found',
      message: `there is no action ${first}: finished actions are kept 30 days, so it may have been pruned`,
    });
    const gone = await get(`/api/anomalies/${id}`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toEqual({
      error: 'not_found',
      message: `no anomaly with id ${id}: closed anomalies are kept 3 days, so it may have been pruned`,
    });
    const feedback = await post(`/api/anomalies/${id}/feedback`, { kind: 'confirmed' }, 'carol');
    expect(feedback.statusCode).toBe(404);
    expect(feedback.json()).toEqual({
      error: 'not_found',
      message: `no anomaly with id ${id}: closed anomalies are kept 3 days, so it may have been pruned`,
    });

    // What is left naming it reads: by its id, by its target (kept with the entry), and exported.
    const byTrigger = await get(`/api/audit?triggerId=${id}&from=0`);
    expect(byTrigger.statusCode).toBe(200);
    expect(auditListSchema.parse(byTrigger.json())).toMatchObject({ total: 1, items: [late] });
    const byTarget = await get(`/api/audit?target=${encodeURIComponent(targetId)}`);
    expect(byTarget.statusCode).toBe(200);
    expect(auditListSchema.parse(byTarget.json())).toMatchObject({ total: 1, items: [late] });
    const csv = await get(`/api/audit?triggerId=${id}&from=0&format=csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.body.trim().split('\r\n')).toEqual([
      'id,at,kind,actionId,triggerId,user,comment,message,details',
      expect.stringContaining(`"feedback",,"${id}","bob",,"${message}"`),
    ]);

    // Grafana keeps its annotations: the anomaly's names its target and links nowhere; the approval
    // request's links to the action page, whose action (above) is now a 404. The prunes sent nothing.
    const annotations = outside.calls.filter((c) => c.path.startsWith('/api/annotations'));
    expect(annotations.map((c) => `${c.method} ${c.path} ${c.body.text}`)).toEqual([
      `POST /api/annotations Anomaly on ${targetId}: high, crash, peak score 0.90; signals: up`,
      expect.stringMatching(
        new RegExp(
          `^POST /api/annotations approval needed for action ${first}: .* Open it in Grafana: ${outside.url}/a/failureprophet-healing-app/actions\\?action=${first}$`
        )
      ),
      expect.stringMatching(new RegExp(`^POST /api/annotations approval needed for action ${again}: `)),
      `PATCH /api/annotations/1 Anomaly (closed) on ${targetId}: high, crash, peak score 0.90; signals: up`,
    ]);
    expect(outside.calls).toHaveLength(sent);
  });
});
