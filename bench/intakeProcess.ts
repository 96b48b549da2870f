/**
 * One alert group in one process (bench/intake.bench.ts): the healing engine of the code at
 * FP_INTAKE_ROOT on an in-memory SQLite, talking to the Kubernetes test server at FP_INTAKE_KUBE_URL
 * (in the parent, so its work is not counted here), takes one webhook of FP_INTAKE_ALERTS firing
 * alerts, one per deployment, under an approve-gate restart policy. Prints one JSON line: wall time
 * and CPU time of the answer, the event loop's longest delay meanwhile, and the answer's counts.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';

const ROOT = process.env.FP_INTAKE_ROOT ?? join(__dirname, '..');
const ALERTS = Number(process.env.FP_INTAKE_ALERTS ?? 1000);
const KUBE_URL = process.env.FP_INTAKE_KUBE_URL ?? '';
const KUBE_TOKEN = process.env.FP_INTAKE_KUBE_TOKEN ?? '';

async function main(): Promise<void> {
  // The code under test is the one at ROOT (this tree, or a copy of an older commit): loaded by path.
  const healing = await import(join(ROOT, 'src/server/healing/index.ts'));
  const { openSqliteDatabase } = await import(join(ROOT, 'src/server/store/sqlite.ts'));
  const { kubeClientFromOptions } = await import(join(ROOT, 'src/server/kubernetes/client.ts'));
  const { kubernetesOptionsSchema } = await import(join(ROOT, 'src/server/kubernetes/config.ts'));
  const { systemClock } = await import(join(ROOT, 'src/server/clock.ts'));
  const { policySchema } = await import(join(ROOT, 'src/contract/healing.ts'));
  const store = openSqliteDatabase(':memory:');
  const kube = kubeClientFromOptions(
    kubernetesOptionsSchema.parse({ mode: 'endpoint', url: KUBE_URL, token: KUBE_TOKEN, requestTimeoutMs: 30_000 }),
    systemClock
  );
  const engine = await healing.HealingEngine.open({
    store,
    kube,
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
    policies: [policySchema.parse({ name: 'restart', action: { type: 'restart' }, gate: 'approve' })],
  });
  const alerts = Array.from({ length: ALERTS }, (_, i) => ({
    status: 'firing',
    labels: { alertname: 'KubeDeploymentDown', namespace: 'shop', deployment: `web-${i}`, severity: 'critical' },
    annotations: { summary: `web-${i} is down` },
    startsAt: new Date(Date.now() - 60_000).toISOString(),
    fingerprint: `fp-${i}`,
  }));
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const answer = await engine.onAlerts({ status: 'firing', alerts });
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  delay.disable();
  await engine.stop();
  await store.close();
  console.log(
    JSON.stringify({
      alerts: ALERTS,
      wallMs,
      cpuMs: (used.user + used.system) / 1000,
      maxLoopDelayMs: delay.max / 1e6,
      firing: answer.firing,
      proposed: answer.proposed.length,
    })
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
