import React, { useState } from 'react';
import { Button, Icon, Stack, Text } from '@grafana/ui';
import { livenessSchema, readinessSchema } from '../../contract/health';
import { killSwitchSchema } from '../../contract/healing';
import { backendRequest, BackendError } from '../api/backend';
import { messageOf } from '../api/fetchFailure';
import { getDataSourceHealth } from '../api/grafana';
import { healingPaths, testKubernetes } from '../api/healing';
import { testIds } from '../testIds';

interface Result {
  ok: boolean;
  message: string;
}

type Check = 'backend' | 'prometheus' | 'kubernetes';

/** Reachable, and is the token accepted? /healthz needs no token, so an /api read proves it. */
async function testBackend(): Promise<Result> {
  const live = await backendRequest('healthz', livenessSchema);
  try {
    await backendRequest(healingPaths.killSwitch, killSwitchSchema);
  } catch (err) {
    return { ok: false, message: `The backend ${live.version} answers, but: ${messageOf(err)}` };
  }
  return { ok: true, message: `The backend ${live.version} answers and accepts the token.` };
}

/** The backend's own Prometheus (its readiness check), and the chosen Grafana data source's health. */
async function testPrometheus(datasourceUid?: string): Promise<Result> {
  let backend: Result;
  try {
    const r = await backendRequest('readyz', readinessSchema);
    backend = { ok: r.checks.prometheus.ok, message: r.checks.prometheus.message ?? '' };
  } catch (err) {
    const parsed = readinessSchema.safeParse(err instanceof BackendError ? err.body : undefined);
    backend = parsed.success
      ? { ok: parsed.data.checks.prometheus.ok, message: parsed.data.checks.prometheus.message ?? '' }
      : { ok: false, message: messageOf(err) };
  }
  const parts = [
    `Backend's Prometheus: ${backend.ok ? 'answers' : 'fails'}${backend.message ? ` (${backend.message})` : ''}.`,
  ];
  let ok = backend.ok;
  if (datasourceUid) {
    try {
      const health = await getDataSourceHealth(datasourceUid);
      parts.push(`Grafana data source: ${health.message ?? health.status ?? 'OK'}.`);
    } catch (err) {
      ok = false;
      parts.push(`Grafana data source fails: ${messageOf(err)}.`);
    }
  }
  return { ok, message: parts.join(' ') };
}

const CHECKS: Array<{ check: Check; label: string; run: (uid?: string) => Promise<Result> }> = [
  { check: 'backend', label: 'Test backend', run: testBackend },
  { check: 'prometheus', label: 'Test Prometheus', run: testPrometheus },
  // Without an action the backend's test only lists pods (POST api/admin/test/kubernetes): say so.
  { check: 'kubernetes', label: 'Test Kubernetes access (lists pods)', run: () => testKubernetes() },
];

/** "Test connection" buttons; each reports in words what works, using the saved settings. */
export function ConnectionTests({ datasourceUid, dirty }: { datasourceUid?: string; dirty: boolean }) {
  const [results, setResults] = useState<Partial<Record<Check, Result | 'running'>>>({});

  const run = async (check: Check, fn: (uid?: string) => Promise<Result>) => {
    setResults((r) => ({ ...r, [check]: 'running' }));
    let result: Result;
    try {
      result = await fn(datasourceUid);
    } catch (err) {
      result = { ok: false, message: messageOf(err) };
    }
    setResults((r) => ({ ...r, [check]: result }));
  };

  return (
    <Stack direction="column" gap={1}>
      {dirty && <Text color="warning">The tests use the saved settings: save your changes first.</Text>}
      {CHECKS.map(({ check, label, run: fn }) => {
        const result = results[check];
        return (
          <Stack key={check} gap={2} alignItems="center" wrap="wrap">
            <Button
              variant="secondary"
              icon="heart-rate"
              disabled={result === 'running'}
              onClick={() => run(check, fn)}
              data-testid={testIds.appConfig.testButton(check)}
            >
              {label}
            </Button>
            <span
              role="status"
              data-testid={testIds.appConfig.testResult(check)}
              data-ok={result && result !== 'running' ? String(result.ok) : undefined}
            >
              {result === 'running' && 'Testing…'}
              {result && result !== 'running' && (
                <Text color={result.ok ? 'success' : 'error'}>
                  <Icon name={result.ok ? 'check' : 'exclamation-triangle'} /> {result.message}
                </Text>
              )}
            </span>
          </Stack>
        );
      })}
    </Stack>
  );
}
