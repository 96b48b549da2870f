import pino from 'pino';
import { anomalyListener } from '../../src/server/healing';
import type { AnomalyEvent } from '../../src/server/pipeline/listener';
import { setUp, Setup } from './setup';

let s: Setup;
afterEach(() => s.close());

/** The event the pipeline hands over, with the anomaly's target's object. */
const anomaly = (over: Partial<AnomalyEvent['anomaly']> = {}): AnomalyEvent => ({
  anomaly: {
    id: 7,
    target: 'pods{namespace="shop",deployment="cart"}',
    watch: 'pod-resources',
    labels: { namespace: 'shop', deployment: 'cart' },
    start: 1000,
    end: 1000,
    peakScore: 0.8,
    severity: 'high',
    failureModel: 'resource_exhaustion',
    state: 'open',
    signals: ['memory'],
    direction: 'above',
    reasons: [],
    ...over,
  },
  object: { kind: 'Deployment', namespace: 'shop', name: 'cart' },
  score: over.peakScore ?? 0.8,
});

it("the pipeline's anomaly events propose, escalate without repeating, and close", async () => {
  s = await setUp();
  const listener = anomalyListener(s.engine, pino({ level: 'silent' }));
  listener.opened(anomaly());
  await s.engine.idle();
  // Extended every step; its severity rises to critical: the scale-out policy now matches too.
  listener.updated(anomaly({ end: 2000 }));
  listener.updated(anomaly({ end: 3000, severity: 'critical', peakScore: 0.97 }));
  await s.engine.idle();
  const actions = (await s.engine.actions.list({ triggerId: '7', limit: 10, offset: 0 })).items;
  expect(actions.map((a) => `${a.policy}:${a.state}`).sort()).toEqual([
    'critical-scale-out:awaiting_approval',
    'high-rolling-restart:awaiting_approval',
  ]);
  listener.closed(anomaly({ state: 'closed' }));
  await s.engine.idle();
  expect(
    (await s.engine.audit.list({ kind: ['trigger_closed'], limit: 5, offset: 0, format: 'json' })).items[0].message
  ).toBe('anomaly 7 closed');
});
