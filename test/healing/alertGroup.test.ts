// Round 19 (intake19): one Alertmanager POST can carry a whole group (thousands of alerts in a
// storm), and Alertmanager sends it again when the answer is late. Every alert is accounted for in
// the answer, a group sent again (to the same replica or another) proposes nothing twice, and storm
// mode judges the group as one moment.

import pino from 'pino';
import { Registry } from 'prom-client';
import type { AlertmanagerWebhook } from '../../src/contract/healing';
import { HealingEngine } from '../../src/server/healing';
import { ALERTS_PER_TRANSACTION } from '../../src/server/healing/intake';
import type { Store } from '../../src/server/store/store';
import { closeStores, electedAs, replicaStores, type ElectedRole } from './replicaStores';
import { deployment } from '../kube/objects';
import { TestClock } from '../pipeline/helpers';
import { policy, realWrites, recordingNotifier, setUp, Setup } from './setup';

/** More alerts than one transaction takes: the group is written in several. */
const GROUP = ALERTS_PER_TRANSACTION * 2 + 17;

const alert = (i: number, status: 'firing' | 'resolved' = 'firing') => ({
  status,
  labels: { alertname: 'KubeDeploymentDown', namespace: 'shop', deployment: `web-${i}`, severity: 'critical' },
  annotations: { summary: `web-${i} is down` },
  startsAt: '2025-06-01T11:50:00.000Z',
  fingerprint: `fp-${i}`,
});
const group = (alerts: Array<ReturnType<typeof alert>>): AlertmanagerWebhook => ({ status: 'firing', alerts });
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('one POST of a large alert group', () => {
  let s: Setup;
  afterEach(() => s.close());

  const start = async (gate: 'approve' | 'auto', storm = 10_000) => {
    const notifier = recordingNotifier();
    s = await setUp({
      notifier,
      policies: [{ name: 'restart', action: { type: 'restart' }, gate }],
      limits: {
        cooldownSeconds: 0,
        maxActionsPerHour: 100_000,
        maxActionsPerHourPerNamespace: 100_000,
        storm: { maxAlarmingTargets: storm },
      },
    });
    for (const i of range(GROUP)) {
      s.kube.add(deployment({ namespace: 'shop', name: `web-${i}` }));
    }
    return notifier;
  };

  it('answers for every alert, each proposal gated, and proposes nothing again when the group is sent again', async () => {
    await start('approve');
    const sent = group(range(GROUP).map((i) => alert(i)));
    const first = await s.engine.onAlerts(sent);
    expect(first.firing).toBe(GROUP);
    expect(first.resolved).toBe(0);
    expect(new Set(first.proposed).size).toBe(GROUP);
    // Gated before the answer, as a single alert is: each waits for a person with its dry run.
    const actions = await Promise.all(first.proposed.map(async (id) => (await s.engine.actions.get(id))!));
    expect(actions.every((a) => a.state === 'awaiting_approval' && a.dryRun !== undefined)).toBe(true);
    expect(actions.map((a) => a.target)).toEqual(range(GROUP).map((i) => `deployment shop/web-${i}`));

    // Alertmanager sends the same group again (its answer was late), twice at once.
    const again = await Promise.all([s.engine.onAlerts(sent), s.engine.onAlerts(sent)]);
    expect(again.map((a) => [a.firing, a.proposed])).toEqual([
      [GROUP, []],
      [GROUP, []],
    ]);
    await s.engine.idle();
    expect(await s.engine.actions.countInState('awaiting_approval')).toBe(GROUP);
    const opened = await s.engine.audit.list({ kind: ['trigger_opened'], limit: 1, offset: 0, format: 'json' });
    expect(opened.total).toBe(GROUP);
    expect(realWrites(s)).toEqual([]);
  });

  it('closes every resolved alert of a group that mixes both, in one answer', async () => {
    await start('approve');
    await s.engine.onAlerts(group(range(GROUP).map((i) => alert(i))));
    const mixed = range(GROUP).map((i) => alert(i, i % 3 === 0 ? 'resolved' : 'firing'));
    const res = await s.engine.onAlerts(group(mixed));
    const resolved = mixed.filter((a) => a.status === 'resolved').length;
    expect(res).toEqual({ firing: GROUP - resolved, resolved, proposed: [] });
    const closed = await s.engine.audit.list({ kind: ['trigger_closed'], limit: 1, offset: 0, format: 'json' });
    expect(closed.total).toBe(resolved);
    await s.engine.idle();
  });

  it('a group larger than the storm limit enters storm mode before any of it is gated: nothing runs, one summary', async () => {
    const notifier = await start('auto', 20);
    const recounts = jest.spyOn(s.engine.actions, 'alarmingTargets');
    const res = await s.engine.onAlerts(group(range(GROUP).map((i) => alert(i))));
    await s.engine.idle();
    expect(res.proposed).toHaveLength(GROUP);
    // The group is counted once, not once per alert.
    expect(recounts).toHaveBeenCalledTimes(1);
    const actions = await Promise.all(res.proposed.map(async (id) => (await s.engine.actions.get(id))!));
    expect(actions.every((a) => a.state === 'awaiting_approval' && a.reason?.kind === 'storm')).toBe(true);
    expect(realWrites(s)).toEqual([]);
    expect(notifier.sent).toHaveLength(1);
    expect(notifier.sent[0].message).toBe(
      `storm: ${GROUP} targets alarm at once (more than 20); automatic actions wait for approval until fewer alarm`
    );
  });
});

const T = Date.UTC(2025, 5, 1, 12);
/** Two replicas' stores on one database: the same SQLite, or two PostgreSQL pools. */
const stores = replicaStores(T);

let round = 0;

// Alertmanager posts to the Service, which may route the group and its resend to either replica:
// the leader and a follower both take alerts in.
describe.each(Object.keys(stores))('one alert group sent to two replicas on %s', (kind) => {
  it('makes one trigger and one action per alert, whichever replica wrote it', async () => {
    const [storeA, storeB] = await stores[kind](`intake${++round}`);
    const clock = new TestClock(T);
    const replica = (store: Store, role: ElectedRole) =>
      HealingEngine.open({
        store,
        clock,
        logger: pino({ level: 'silent' }),
        metrics: new Registry(),
        policies: [policy({ name: 'tell', action: { type: 'notify' }, gate: 'approve' })],
        notifier: recordingNotifier(),
        ...electedAs(role, T),
      });
    const engines = [await replica(storeA, 'leader'), await replica(storeB, 'follower')];
    try {
      const sent = group(range(GROUP).map((i) => alert(i)));
      const answers = await Promise.all(engines.map((engine) => engine.onAlerts(sent)));
      expect(answers.map((a) => a.firing)).toEqual([GROUP, GROUP]);
      const ids = answers.flatMap((a) => a.proposed);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(GROUP);
      for (const engine of engines) {
        await engine.idle();
      }
      const opened = await engines[0].audit.list({ kind: ['trigger_opened'], limit: 1, offset: 0, format: 'json' });
      expect(opened.total).toBe(GROUP);
      expect(await engines[1].actions.countInState('awaiting_approval')).toBe(GROUP);
    } finally {
      for (const engine of engines) {
        await engine.stop();
      }
      await closeStores([storeA, storeB]);
    }
  });
});
