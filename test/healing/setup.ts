// Builds the healing engine against the Kubernetes API test server, an in-memory store and a
// FakeClock shared with the Kubernetes client, so nothing really waits.

import pino from 'pino';
import { Registry } from 'prom-client';
import {
  policySchema,
  safetyLimitsSchema,
  type AnomalyTrigger,
  type Policy,
  type PolicyInput,
  type SafetyLimitsInput,
} from '../../src/contract/healing';
import { createNotifier, HealingEngine, type HealingEngineDeps } from '../../src/server/healing';
import type { Notification, Notifier } from '../../src/server/healing/notify';
import { openSqliteDatabase, type SqliteStore } from '../../src/server/store/sqlite';
import { Harness, startHarness } from '../kube/harness';
import { deployment, node } from '../kube/objects';

export interface Setup extends Harness {
  engine: HealingEngine;
  store: SqliteStore;
  metrics: Registry;
  close(): Promise<void>;
}

export const policy = (p: PolicyInput): Policy => policySchema.parse(p);

export async function setUp(
  options: { policies?: PolicyInput[]; limits?: SafetyLimitsInput; file?: string; withoutKube?: boolean } & Partial<
    Pick<HealingEngineDeps, 'readSignal' | 'onVerified' | 'notifier' | 'actionLink' | 'silences'>
  > = {}
): Promise<Setup> {
  const h = await startHarness();
  h.kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 3 }));
  // Three Ready nodes besides those a test drains: never below 51% Ready nodes (the default floor)
  // refuses taking out the only node of a one-node cluster.
  h.kube.add(node('spare-1'), node('spare-2'), node('spare-3'));
  const store = openSqliteDatabase(options.file ?? ':memory:');
  const metrics = new Registry();
  const engine = await HealingEngine.open({
    store,
    kube: options.withoutKube ? undefined : h.client,
    clock: h.clock,
    logger: pino({ level: 'silent' }),
    metrics,
    policies: options.policies?.map(policy),
    limits: options.limits ? safetyLimitsSchema.parse(options.limits) : undefined,
    readSignal: options.readSignal,
    onVerified: options.onVerified,
    notifier: options.notifier,
    actionLink: options.actionLink,
    silences: options.silences,
  });
  return {
    ...h,
    engine,
    store,
    metrics,
    close: async () => {
      await engine.stop();
      await store.close();
      await h.kube.close();
    },
  };
}

let seq = 0;
export function anomaly(overrides: Partial<AnomalyTrigger> = {}): AnomalyTrigger {
  seq += 1;
  return {
    source: 'anomaly',
    id: seq,
    watch: 'latency',
    labels: { namespace: 'shop', deployment: 'cart' },
    severity: 'critical',
    failureModel: 'resource_exhaustion',
    score: 0.97,
    object: { kind: 'deployment', namespace: 'shop', name: 'cart' },
    summary: 'p99 latency rising',
    startedAt: Date.parse('2025-06-01T11:55:00Z'),
    ...overrides,
  };
}

/** Writes that could change the cluster: not dry runs (wherever the request carries its dryRun). */
export const realWrites = (s: Harness) => s.kube.realWrites();

/** Whether the test server holds the node cordoned (spec.unschedulable). */
export const isCordoned = (s: Harness, name: string) => s.kube.get('Node', name)!.spec!.unschedulable === true;

/** The real (not dry-run) PATCHes of one node: its cordons and uncordons. */
export const nodePatches = (s: Harness, name: string) =>
  s.kube.requests.filter((q) => q.method === 'PATCH' && q.path === `/api/v1/nodes/${name}` && !q.dryRun);

/** One action's `kubernetes` audit entries (what it did to the cluster, and what it gave back). */
export const kubernetesEntries = async (engine: HealingEngine, actionId: number) =>
  (await engine.audit.list({ actionId, kind: ['kubernetes'], limit: 100, offset: 0, format: 'json' })).items;

/** Proposes a drain of each node in turn and approves each after the one before has run: their ids. */
export async function drainInTurn(s: Setup, ...nodes: string[]): Promise<number[]> {
  const ids: number[] = [];
  for (const name of nodes) {
    const [id] = await s.engine.onAnomaly(anomaly({ object: { kind: 'node', name } }));
    ids.push(id);
  }
  for (const id of ids) {
    await s.engine.approve(id, 'alice');
    await s.engine.idle();
  }
  return ids;
}

/** A notifier whose webhook is a fake receiver: what it was sent, with each body parsed. */
export function webhookReceiver() {
  const sent: Array<{ url: string; body: any }> = [];
  const notifier = createNotifier({ webhookUrl: 'http://receiver.local/hook' }, (async (
    url: string,
    init: RequestInit
  ) => {
    sent.push({ url, body: JSON.parse(String(init.body)) });
    return new Response('ok', { status: 200 });
  }) as unknown as typeof fetch);
  return { sent, notifier };
}

/** A notifier that records what it sends (and plans a webhook), for tests that count notifications. */
export function recordingNotifier(): Notifier & { sent: Notification[] } {
  const sent: Notification[] = [];
  return {
    sent,
    plan: () => ({ ok: true, summary: 'would send a webhook' }),
    send: async (n) => {
      sent.push(n);
      return { ok: true, summary: 'sent a webhook' };
    },
  };
}
