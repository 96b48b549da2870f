import React from 'react';
import { render, screen } from '@testing-library/react';
import { installFakeBackendSrv } from '../../testUtils/fakeBackendSrv';
import { PluginSettingsContext } from '../../pluginSettings';
import { testIds } from '../../testIds';
import { Overview } from './Overview';

describe('Overview', () => {
  it('asks for configuration when no backend URL is set', () => {
    installFakeBackendSrv({});
    render(<Overview />);
    expect(screen.getByTestId(testIds.overview.container)).toBeInTheDocument();
    expect(screen.getByTestId(testIds.backendStatus.notConfigured)).toBeInTheDocument();
  });

  it('shows the backend status when configured', async () => {
    installFakeBackendSrv({
      'GET readyz': { data: { status: 'ready', checks: { store: { ok: true }, prometheus: { ok: true } } } },
    });
    render(
      <PluginSettingsContext.Provider value={{ backendUrl: 'http://backend:3001' }}>
        <Overview />
      </PluginSettingsContext.Provider>
    );
    expect(await screen.findByTestId(testIds.backendStatus.container)).toBeInTheDocument();
  });
});
