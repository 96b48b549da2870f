import React from 'react';
import { render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import type { AppRootProps } from '@grafana/data';
import { installFakeBackendSrv } from './testUtils/fakeBackendSrv';
import { appPluginMeta } from './testUtils/pluginMeta';
import { testIds } from './testIds';
import App from './App';
import type { AppSettings } from './pluginSettings';

function renderApp(path: string, jsonData: AppSettings = {}) {
  const props = {
    meta: appPluginMeta(jsonData),
    basename: '/a/failureprophet-healing-app',
    query: {},
    path: '',
    onNavChanged: jest.fn(),
  };
  return render(
    <MemoryRouter initialEntries={[path]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <App {...(props as unknown as AppRootProps<AppSettings>)} />
    </MemoryRouter>
  );
}

describe('App', () => {
  it('sends an unknown path to the overview', () => {
    installFakeBackendSrv({});
    renderApp('/nowhere');
    expect(screen.getByTestId(testIds.overview.container)).toBeInTheDocument();
  });

  it("hands the app's jsonData to the pages", async () => {
    installFakeBackendSrv({
      'GET readyz': { data: { status: 'ready', checks: { store: { ok: true }, prometheus: { ok: true } } } },
    });
    renderApp('/overview', { backendUrl: 'http://backend:3001' });
    expect(await screen.findByTestId(testIds.backendStatus.container)).toBeInTheDocument();
    expect(screen.queryByTestId(testIds.backendStatus.notConfigured)).not.toBeInTheDocument();
  });
});
