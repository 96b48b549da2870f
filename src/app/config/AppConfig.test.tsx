import React from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AppPlugin } from '@grafana/data';
import { PLUGIN_SETTINGS_URL } from '../../constants';
import { reloadPage } from '../../utils/reloadPage';
import type { AppSettings } from '../pluginSettings';
import { installFakeBackendSrv, requestsTo } from '../testUtils/fakeBackendSrv';
import { appPluginMeta } from '../testUtils/pluginMeta';
import { testIds } from '../testIds';
import AppConfig, { validateBackendUrl } from './AppConfig';

jest.mock('../../utils/reloadPage', () => ({ reloadPage: jest.fn() }));

function renderConfig(jsonData: AppSettings = {}, secureJsonFields: Record<string, boolean> = {}) {
  const plugin = new AppPlugin<AppSettings>();
  plugin.meta = appPluginMeta(jsonData, secureJsonFields);
  return render(<AppConfig plugin={plugin} query={{}} />);
}

describe('validateBackendUrl', () => {
  it.each([
    ['', /required/],
    ['backend:3001', /Use an http/],
    ['not a url', /Not a URL/],
    ['ftp://backend', /Use an http/],
  ])('refuses %j', (value, reason) => expect(validateBackendUrl(value)).toMatch(reason));

  it('accepts http and https URLs', () => {
    expect(validateBackendUrl('http://failureprophet-backend:3001')).toBeUndefined();
    expect(validateBackendUrl('https://fp.example.com')).toBeUndefined();
  });
});

describe('AppConfig (connection)', () => {
  beforeEach(() => jest.mocked(reloadPage).mockReset());

  it('shows the saved URL and a configured token that cannot be read back', () => {
    installFakeBackendSrv({});
    renderConfig({ backendUrl: 'http://backend:3001' }, { backendToken: true });
    expect(screen.getByTestId(testIds.appConfig.backendUrl)).toHaveValue('http://backend:3001');
    const token = screen.getByTestId(testIds.appConfig.backendToken);
    expect(token).toHaveValue('configured');
    expect(token).toBeDisabled();
  });

  it('validates as the admin types, with the reason beside the field, and blocks saving', async () => {
    const fetch = installFakeBackendSrv({});
    renderConfig();
    await userEvent.type(screen.getByTestId(testIds.appConfig.backendUrl), 'backend');
    expect(screen.getByText(/Not a URL|Use an http/)).toBeInTheDocument();
    expect(screen.getByText('The backend token is required')).toBeInTheDocument();
    expect(screen.getByTestId(testIds.appConfig.submit)).toBeDisabled();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('saves jsonData and the new token in secureJsonData through the settings API', async () => {
    const fetch = installFakeBackendSrv({ [`POST ${PLUGIN_SETTINGS_URL}`]: { data: {} } });
    renderConfig();
    await userEvent.type(screen.getByTestId(testIds.appConfig.backendUrl), 'http://backend:3001');
    await userEvent.type(screen.getByTestId(testIds.appConfig.backendToken), 's3cret');
    await userEvent.click(screen.getByTestId(testIds.appConfig.submit));
    await waitFor(() => expect(reloadPage).toHaveBeenCalled());
    const [request] = requestsTo(fetch, 'POST', PLUGIN_SETTINGS_URL);
    expect(request.data).toEqual({
      enabled: true,
      pinned: true,
      jsonData: { backendUrl: 'http://backend:3001' },
      secureJsonData: { backendToken: 's3cret' },
    });
  });

  it('leaves an already configured token untouched when only the URL changes', async () => {
    const fetch = installFakeBackendSrv({ [`POST ${PLUGIN_SETTINGS_URL}`]: { data: {} } });
    renderConfig({ backendUrl: 'http://old:3001' }, { backendToken: true });
    const url = screen.getByTestId(testIds.appConfig.backendUrl);
    await userEvent.clear(url);
    await userEvent.type(url, 'http://new:3001');
    await userEvent.click(screen.getByTestId(testIds.appConfig.submit));
    await waitFor(() => expect(reloadPage).toHaveBeenCalled());
    const [request] = requestsTo(fetch, 'POST', PLUGIN_SETTINGS_URL);
    expect(request.data.jsonData).toEqual({ backendUrl: 'http://new:3001' });
    expect(request.data.secureJsonData).toBeUndefined();
  });

  it('requires a new token after the configured one is reset', async () => {
    installFakeBackendSrv({});
    renderConfig({ backendUrl: 'http://backend:3001' }, { backendToken: true });
    await userEvent.click(screen.getByRole('button', { name: /reset/i }));
    expect(screen.getByText('The backend token is required')).toBeInTheDocument();
    expect(screen.getByTestId(testIds.appConfig.submit)).toBeDisabled();
  });

  it("shows the server's error when saving fails and does not reload", async () => {
    installFakeBackendSrv({ [`POST ${PLUGIN_SETTINGS_URL}`]: { status: 403, data: { message: 'Permission denied' } } });
    renderConfig({ backendUrl: 'http://backend:3001' }, { backendToken: true });
    await userEvent.click(screen.getByTestId(testIds.appConfig.submit));
    expect(await screen.findByTestId(testIds.appConfig.saveError)).toHaveTextContent('Permission denied');
    expect(reloadPage).not.toHaveBeenCalled();
  });
});
