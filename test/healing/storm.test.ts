// Issue 17, item 3: storm mode. When more targets alarm at once than the limit, automatic actions
// wait for approval and one summary notification goes out; it ends when the count falls.

import { deployment } from '../kube/objects';
import { anomaly, realWrites, recordingNotifier, setUp, Setup } from './setup';

let s: Setup;
afterEach(() => s.close());

it('a storm of 50 alarming targets pauses automation with exactly one notification, and ends when the count falls', async () => {
  const notifier = recordingNotifier();
  s = await setUp({
    notifier,
    policies: [{ name: 'restart', action: { type: 'restart' }, gate: 'auto' }],
    limits: {
      cooldownSeconds: 0,
      maxActionsPerHour: 1000,
      maxActionsPerHourPerNamespace: 1000,
      storm: { maxAlarmingTargets: 20 },
    },
  });
  for (let i = 0; i < 51; i++) {
    s.kube.add(deployment({ namespace: 'shop', name: `web-${i}` }));
  }
  const triggers = Array.from({ length: 50 }, (_, i) =>
    anomaly({ object: { kind: 'deployment', namespace: 'shop', name: `web-${i}` } })
  );
  const ids: number[] = [];
  for (const trigger of triggers) {
    ids.push(...(await s.engine.onAnomaly(trigger)));
    await s.engine.idle();
  }
  const states = await Promise.all(ids.map(async (id) => (await s.engine.actions.get(id))!));
  // The first 20 targets are healed automatically; from the 21st on, each waits for a person.
  expect(states.slice(0, 20).every((a) => a.state === 'succeeded')).toBe(true);
  expect(states.slice(20).every((a) => a.state === 'awaiting_approval' && a.reason?.kind === 'storm')).toBe(true);
  expect(states[20].reason).toMatchObject({
    message: expect.stringMatching(/^storm mode: more than 20 targets alarm at once/),
    since: s.clock.now(),
  });
  expect(realWrites(s)).toHaveLength(20);
  expect(notifier.sent).toHaveLength(1);
  expect(notifier.sent[0]).toMatchObject({
    message: 'storm: 21 targets alarm at once (more than 20); automatic actions wait for approval until fewer alarm',
  });
  expect(notifier.sent[0].actionId).toBeUndefined();

  // 35 of them recover: 15 alarm, the storm is over, and the next alarm is healed automatically again.
  for (const trigger of triggers.slice(0, 35)) {
    await s.engine.onAnomalyClosed(trigger.id);
  }
  const storms = (await s.engine.audit.list({ kind: ['storm'], limit: 10, offset: 0, format: 'json' })).items;
  expect(storms.map((e) => e.message)[0]).toMatch(/^storm over: 20 targets alarm \(at most 20\)/);
  const [after] = await s.engine.onAnomaly(
    anomaly({ object: { kind: 'deployment', namespace: 'shop', name: 'web-50' } })
  );
  await s.engine.idle();
  expect((await s.engine.actions.get(after))!.state).toBe('succeeded');
  expect(notifier.sent).toHaveLength(1);
});
