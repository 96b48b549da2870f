import React from 'react';
import { PluginPage } from '@grafana/runtime';
import { RequireBackend } from '../NotConfigured/NotConfigured';

/** A plugin page whose content reads the backend: shown once one is configured, else how to configure one. */
export function BackendPage({ testId, children }: { testId: string; children: React.ReactNode }) {
  return (
    <PluginPage>
      <div data-testid={testId}>
        <RequireBackend>{children}</RequireBackend>
      </div>
    </PluginPage>
  );
}
