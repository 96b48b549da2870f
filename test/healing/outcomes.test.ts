// Issue 17, proof of value: real executions and verifications against the Kubernetes test server,
// then what /metrics and GET /api/outcomes say, and whether the shipped dashboard asks for it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HealingTrigger } from '../../src/contract/healing';
import { healingRoutes } from '../../src/server/http/routes/healing';
import type { App } from '../../src/server/http/server';
import { deployment } from '../kube/objects';
import { AUTH, injectingApp } from '../harness/server';
import { anomaly, setUp, Setup } from './setup';

let s: Setup;
let app: App;
afterEach(async () => {
  await app.close();
  await s.close();
});

const DASHBOARD = join(__dirname, '..', '..', 'src', 'dashboards', 'healing-activity.json');

/** `name{labels} value` lines of a Prometheus text exposition, keyed by everything before the value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) {
      out.set(m[1], Number(m[2]));
    }
  }
  return out;
}

it('counts executions, recoveries, failures to recover, time to recovery and failures prevented; the dashboard asks for exactly those', async () => {
  const scores = new Map<HealingTrigger['id'], number>();
  s = await setUp({
    policies: [{ name: 'restart-on-critical', action: { type: 'restart' }, gate: 'auto' }],
    limits: { verification: { settleSeconds: 60, windowSeconds: 600, recoveredBelowScore: 0.5 } },
    readSignal: async (trigger) => scores.get(trigger.id),
  });
  s.kube.add(deployment({ namespace: 'shop', name: 'pay', replicas: 2 }));
  app = await injectingApp(s, healingRoutes(s.engine));

  const now = s.clock.now();
  // On a prediction: the limit was to be crossed in an hour.
  const predicted = anomaly({ predictedFailureAt: now + 3_600_000 });
  const plain = anomaly({
    object: { kind: 'deployment', namespace: 'shop', name: 'pay' },
    labels: { namespace: 'shop', deployment: 'pay' },
  });
  scores.set(predicted.id, 0.9).set(plain.id, 0.9);
  const [healed] = await s.engine.onAnomaly(predicted);
  const [stuck] = await s.engine.onAnomaly(plain);
  await s.engine.idle();
  expect([(await s.engine.actions.get(healed))!.state, (await s.engine.actions.get(stuck))!.state]).toEqual([
    'succeeded',
    'succeeded',
  ]);

  await s.clock.sleep(90_000);
  scores.set(predicted.id, 0.1);
  await s.engine.tick();
  await s.clock.sleep(600_000);
  await s.engine.tick();
  await s.engine.idle();
  expect((await s.engine.actions.get(healed))!.state).toBe('verified');
  expect((await s.engine.actions.get(stuck))!.state).toBe('not_recovered');

  const res = await app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  const m = samples(res.body);
  const l = 'policy="restart-on-critical",action="restart"';
  expect(m.get(`failureprophet_healing_executed_total{${l}}`)).toBe(2);
  expect(m.get(`failureprophet_healing_outcomes_total{${l},outcome="recovered"}`)).toBe(1);
  expect(m.get(`failureprophet_healing_outcomes_total{${l},outcome="not_recovered"}`)).toBe(1);
  expect(m.get(`failureprophet_healing_time_to_recovery_seconds_count{${l}}`)).toBe(1);
  expect(m.get(`failureprophet_healing_time_to_recovery_seconds_sum{${l}}`)).toBe(90);
  expect(m.get(`failureprophet_healing_time_to_recovery_seconds_bucket{le="60",${l}}`)).toBe(0);
  expect(m.get(`failureprophet_healing_time_to_recovery_seconds_bucket{le="120",${l}}`)).toBe(1);
  expect(m.get(`failureprophet_healing_failures_prevented_total{${l}}`)).toBe(1);

  // The page's numbers, from the store.
  const outcomes = await app.inject({ method: 'GET', url: '/api/outcomes', headers: AUTH });
  expect(outcomes.json()).toEqual({
    items: [
      {
        policy: 'restart-on-critical',
        action: 'restart',
        executed: 2,
        recovered: 1,
        notRecovered: 1,
        failed: 0,
        medianRecoverySeconds: 90,
        prevented: 1,
      },
    ],
  });

  // Every healing metric a panel of the shipped dashboard queries is one /metrics really has.
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
  };
  const queried = dashboard.panels.flatMap((p) =>
    (p.targets ?? []).flatMap((t) =>
      [...t.expr.matchAll(/\b(failureprophet_(?:healing|actions|safety|kill_switch)[a-z_]*)/g)].map((x) => ({
        panel: p.title,
        metric: x[1].replace(/_(bucket|sum|count)$/, ''),
      }))
    )
  );
  const exposed = new Set([...res.body.matchAll(/^# TYPE (\S+) /gm)].map((x) => x[1]));
  expect(queried.filter((q) => !exposed.has(q.metric))).toEqual([]);
  for (const metric of [
    'failureprophet_healing_executed_total',
    'failureprophet_healing_outcomes_total',
    'failureprophet_healing_time_to_recovery_seconds',
    'failureprophet_healing_failures_prevented_total',
  ]) {
    expect(queried.map((q) => q.metric)).toContain(metric);
  }
});
