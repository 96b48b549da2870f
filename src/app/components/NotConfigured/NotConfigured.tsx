import React from 'react';
import { Alert, LinkButton, Stack } from '@grafana/ui';
import { CONFIG_PAGE_URL } from '../../../constants';
import { usePluginSettings } from '../../pluginSettings';
import { testIds } from '../../testIds';

/** Renders its children only when a backend is configured; otherwise says how to configure one. */
export function RequireBackend({ children }: { children: React.ReactNode }) {
  const { backendUrl } = usePluginSettings();
  return backendUrl ? <>{children}</> : <NotConfiguredAlert />;
}

/** Says the backend is not configured, with a link to the configuration page. */
export function NotConfiguredAlert() {
  return (
    <Alert title="The backend is not configured" severity="info" data-testid={testIds.backendStatus.notConfigured}>
      <Stack direction="column" gap={1}>
        <span>Set the backend URL and token in the app configuration to start watching your metrics.</span>
        <div>
          <LinkButton href={CONFIG_PAGE_URL} icon="cog" variant="secondary">
            Open configuration
          </LinkButton>
        </div>
      </Stack>
    </Alert>
  );
}
