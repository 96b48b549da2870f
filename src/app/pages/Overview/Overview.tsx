import React from 'react';
import { PluginPage } from '@grafana/runtime';
import { BackendStatus } from '../../components/BackendStatus/BackendStatus';
import { usePluginSettings } from '../../pluginSettings';
import { testIds } from '../../testIds';

export function Overview() {
  const settings = usePluginSettings();
  return (
    <PluginPage>
      <div data-testid={testIds.overview.container}>
        <BackendStatus configured={Boolean(settings.backendUrl)} />
      </div>
    </PluginPage>
  );
}
