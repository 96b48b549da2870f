import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, Badge, Button, LoadingPlaceholder, Stack, Text, useStyles2 } from '@grafana/ui';
import { useReadiness } from '../../api/useReadiness';
import { testIds } from '../../testIds';
import { NotConfiguredAlert } from '../NotConfigured/NotConfigured';

const CHECK_LABELS: Record<string, string> = { store: 'Store', storeWrites: 'Store writes', prometheus: 'Prometheus' };

/** The backend's health as the plugin proxy sees it: not configured, unreachable, or each readiness check. */
export function BackendStatus({ configured }: { configured: boolean }) {
  if (!configured) {
    return <NotConfiguredAlert />;
  }
  return <ConfiguredBackendStatus />;
}

function ConfiguredBackendStatus() {
  const styles = useStyles2(getStyles);
  const { loading, readiness, error, reload } = useReadiness();

  if (loading && !readiness && !error) {
    return <LoadingPlaceholder text="Asking the backend…" />;
  }
  if (error) {
    return (
      <Alert title="Cannot reach the backend" severity="error" data-testid={testIds.backendStatus.error}>
        <Stack direction="column" gap={1}>
          <span>{error.message}</span>
          <div>
            <Button size="sm" variant="secondary" icon="sync" onClick={reload}>
              Retry
            </Button>
          </div>
        </Stack>
      </Alert>
    );
  }
  if (!readiness) {
    return null;
  }
  return (
    <section className={styles.section} data-testid={testIds.backendStatus.container} aria-label="Backend status">
      <Stack direction="row" alignItems="center" gap={2}>
        <Text element="h3">Backend</Text>
        <Badge
          text={readiness.status === 'ready' ? 'Ready' : 'Not ready'}
          color={readiness.status === 'ready' ? 'green' : 'orange'}
          icon={readiness.status === 'ready' ? 'check' : 'exclamation-triangle'}
        />
        <Button
          size="sm"
          variant="secondary"
          fill="text"
          icon="sync"
          onClick={reload}
          aria-label="Refresh backend status"
        >
          Refresh
        </Button>
      </Stack>
      <ul className={styles.checks}>
        {Object.entries(readiness.checks).map(([name, check]) => (
          <li key={name} data-testid={testIds.backendStatus.check(name)} className={styles.check}>
            <Badge text={check.ok ? 'OK' : 'Failing'} color={check.ok ? 'green' : 'red'} />
            <Text weight="medium">{CHECK_LABELS[name] ?? name}</Text>
            {check.message && <Text color="secondary">{check.message}</Text>}
          </li>
        ))}
      </ul>
    </section>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  section: css({
    padding: theme.spacing(2),
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    background: theme.colors.background.secondary,
  }),
  checks: css({
    listStyle: 'none',
    margin: theme.spacing(2, 0, 0, 0),
    padding: 0,
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(1),
  }),
  check: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
  }),
});
