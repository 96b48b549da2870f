import React from 'react';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import { setupUser } from '../testUtils/user';
import { AppPlugin } from '@grafana/data';
import { locationService } from '@grafana/runtime';
import { PLUGIN_SETTINGS_URL } from '../../constants';
import { reloadPage } from '../../utils/reloadPage';
import type { AppSettings } from '../pluginSettings';
import { healingPaths } from '../api/healing';
import { kubernetesPaths } from '../api/kubernetes';
import { chooseOption, installComboboxLayout } from '../testUtils/combobox';
import { installFakeBackendSrv, requestsTo } from '../testUtils/fakeBackendSrv';
import { installFakeDataSources } from '../testUtils/fakeDataSources';
import { appPluginMeta } from '../testUtils/pluginMeta';
import { testIds } from '../testIds';
import AppConfig, { validateBackendUrl } from './AppConfig';

const user = setupUser();
installComboboxLayout();

/** Replaces a field's text in one input event: typing a URL key by key re-renders the form per key. */
async function fill(field: HTMLElement, text: string) {
  await user.clear(field);
  await user.paste(text);
}

jest.mock('../../utils/reloadPage', () => ({ reloadPage: jest.fn() }));

beforeEach(() =>
  installFakeDataSources([
    { uid: 'prom', name: 'Prometheus', type: 'prometheus' },
    { uid: 'loki', name: 'Loki', type: 'loki' },
  ])
);

const endpointSettings = {
  source: 'grafana',
  mode: 'endpoint',
  url: 'https://k8s:6443',
  tokenSet: true,
  caSet: true,
  updatedBy: 'admin',
  updatedAt: Date.parse('2026-01-01T12:00:00Z'),
};

const PEM = ['-----BEGIN CERTIFICATE-----', 'MIIBfzCCASWgAwIBAgIUXa', '-----END CERTIFICATE-----'].join('\n');

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

  it('shows the saved URL and a configured token that cannot be read back', async () => {
    installFakeBackendSrv({});
    renderConfig({ backendUrl: 'http://backend:3001' }, { backendToken: true });
    expect(screen.getByTestId(testIds.appConfig.backendUrl)).toHaveValue('http://backend:3001');
    const token = screen.getByTestId(testIds.appConfig.backendToken);
    expect(token).toHaveValue('configured');
    expect(token).toBeDisabled();
    expect(await screen.findByText(/Which Kubernetes the backend uses is unknown: no fake route/)).toBeInTheDocument();
  });

  it('validates as the admin types, with the reason beside the field, and blocks saving', async () => {
    const fetch = installFakeBackendSrv({});
    renderConfig();
    await user.type(screen.getByTestId(testIds.appConfig.backendUrl), 'backend');
    expect(screen.getByText(/Not a URL|Use an http/)).toBeInTheDocument();
    expect(screen.getByText('The backend token is required')).toBeInTheDocument();
    expect(screen.getByTestId(testIds.appConfig.submit)).toBeDisabled();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('does not ask to keep the changes it has just saved when it reloads', async () => {
    installFakeBackendSrv({ [`POST ${PLUGIN_SETTINGS_URL}`]: { data: {} } });
    let asked: boolean | undefined;
    jest.mocked(reloadPage).mockImplementation(() => {
      const event = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(event);
      asked = event.defaultPrevented;
    });
    renderConfig();
    await fill(screen.getByTestId(testIds.appConfig.backendUrl), 'http://backend:3001');
    await fill(screen.getByTestId(testIds.appConfig.backendToken), 's3cret');
    const unsaved = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(unsaved);
    expect(unsaved.defaultPrevented).toBe(true);
    await user.click(screen.getByTestId(testIds.appConfig.submit));
    await waitFor(() => expect(reloadPage).toHaveBeenCalled());
    expect(asked).toBe(false);
  });

  it("asks in Grafana's modal, not a native dialog, before leaving the tab with unsaved changes", async () => {
    const fetch = installFakeBackendSrv({});
    const confirm = jest.spyOn(window, 'confirm').mockReturnValue(true);
    locationService.replace('/plugins/failureprophet-healing-app?page=connection');
    renderConfig();
    await fill(screen.getByTestId(testIds.appConfig.backendUrl), 'http://backend:3001');
    await fill(screen.getByTestId(testIds.appConfig.backendToken), 's3cret');
    // The user leaves the field first, as clicking a link does.
    await user.click(document.body);
    act(() => locationService.push('/plugins/failureprophet-healing-app?page=watches'));
    const dialog = screen.getByRole('dialog');
    expect(dialog).toHaveTextContent('You have unsaved changes. Leave this page and lose them?');
    expect(locationService.getLocation().search).toBe('?page=connection');
    await user.click(within(dialog).getByRole('button', { name: 'Leave' }));
    // Grafana's ConfirmModal confirms through an async form submit: wait for it to go through.
    await waitFor(() => expect(locationService.getLocation().search).toBe('?page=watches'));
    expect(confirm).not.toHaveBeenCalled();
    // The modal's own form is not this page's: leaving saves nothing.
    expect(requestsTo(fetch, 'POST', PLUGIN_SETTINGS_URL)).toEqual([]);
    confirm.mockRestore();
  });

  it('saves jsonData and the new token in secureJsonData through the settings API', async () => {
    const fetch = installFakeBackendSrv({ [`POST ${PLUGIN_SETTINGS_URL}`]: { data: {} } });
    renderConfig();
    await fill(screen.getByTestId(testIds.appConfig.backendUrl), 'http://backend:3001');
    await fill(screen.getByTestId(testIds.appConfig.backendToken), 's3cret');
    await user.click(screen.getByTestId(testIds.appConfig.submit));
    await waitFor(() => expect(reloadPage).toHaveBeenCalled());
    const [request] = requestsTo(fetch, 'POST', PLUGIN_SETTINGS_URL);
    expect(request.data).toEqual({
      enabled: true,
      pinned: true,
      jsonData: { backendUrl: 'http://backend:3001' },
      secureJsonData: { backendToken: 's3cret' },
    });
    // The Kubernetes part was not touched: the backend keeps its own config.
    expect(requestsTo(fetch, 'PUT', kubernetesPaths.admin)).toEqual([]);
  });

  it('leaves an already configured token untouched when only the URL changes', async () => {
    const fetch = installFakeBackendSrv({ [`POST ${PLUGIN_SETTINGS_URL}`]: { data: {} } });
    renderConfig({ backendUrl: 'http://old:3001' }, { backendToken: true });
    const url = screen.getByTestId(testIds.appConfig.backendUrl);
    await fill(url, 'http://new:3001');
    await user.click(screen.getByTestId(testIds.appConfig.submit));
    await waitFor(() => expect(reloadPage).toHaveBeenCalled());
    const [request] = requestsTo(fetch, 'POST', PLUGIN_SETTINGS_URL);
    expect(request.data.jsonData).toEqual({ backendUrl: 'http://new:3001' });
    expect(request.data.secureJsonData).toBeUndefined();
  });

  it('requires a new token after the configured one is reset', async () => {
    installFakeBackendSrv({});
    renderConfig({ backendUrl: 'http://backend:3001' }, { backendToken: true });
    await user.click(screen.getByRole('button', { name: /reset/i }));
    expect(screen.getByText('The backend token is required')).toBeInTheDocument();
    expect(screen.getByTestId(testIds.appConfig.submit)).toBeDisabled();
  });

  it("shows the server's error when saving fails and does not reload", async () => {
    installFakeBackendSrv({ [`POST ${PLUGIN_SETTINGS_URL}`]: { status: 403, data: { message: 'Permission denied' } } });
    renderConfig({ backendUrl: 'http://backend:3001' }, { backendToken: true });
    await user.click(screen.getByTestId(testIds.appConfig.submit));
    expect(await screen.findByTestId(testIds.appConfig.saveError)).toHaveTextContent('Permission denied');
    expect(reloadPage).not.toHaveBeenCalled();
  });

  it('offers only Prometheus data sources and saves the chosen one', async () => {
    const fetch = installFakeBackendSrv({ [`POST ${PLUGIN_SETTINGS_URL}`]: { data: {} } });
    renderConfig({ backendUrl: 'http://backend:3001' }, { backendToken: true });
    // The label's accessible name ends with the field's description.
    const picker = screen.getByRole('combobox', { name: /^Prometheus data source/ });
    await user.click(picker);
    expect((await screen.findAllByRole('option')).map((o) => o.textContent)).toEqual(['Prometheus']);
    await user.keyboard('{Escape}');
    await chooseOption(user, picker, 'Prometheus');
    expect(picker).toHaveValue('Prometheus');
    expect(screen.getByTestId(testIds.appConfig.unsaved)).toBeInTheDocument();
    await user.click(screen.getByTestId(testIds.appConfig.submit));
    await waitFor(() => expect(reloadPage).toHaveBeenCalled());
    expect(requestsTo(fetch, 'POST', PLUGIN_SETTINGS_URL)[0].data.jsonData.prometheusDatasourceUid).toBe('prom');
  });

  it('requires a URL and a token for a Kubernetes API endpoint and keeps them secret', async () => {
    const fetch = installFakeBackendSrv({
      [`POST ${PLUGIN_SETTINGS_URL}`]: { data: {} },
      [`PUT ${kubernetesPaths.admin}`]: { data: endpointSettings },
    });
    renderConfig({ backendUrl: 'http://backend:3001' }, { backendToken: true });
    await user.click(screen.getByLabelText('API endpoint'));
    expect(screen.getByText('The Kubernetes API URL is required')).toBeInTheDocument();
    expect(screen.getByText('A bearer token is required for an API endpoint')).toBeInTheDocument();
    expect(screen.getByTestId(testIds.appConfig.submit)).toBeDisabled();
    await fill(screen.getByTestId(testIds.appConfig.kubeUrl), 'http://k8s:6443');
    expect(screen.getByText('The Kubernetes API is served over https://')).toBeInTheDocument();
    await fill(screen.getByTestId(testIds.appConfig.kubeUrl), 'https://k8s:6443');
    await fill(screen.getByLabelText(/^Bearer token/), 'kube-secret');
    await user.click(screen.getByTestId(testIds.appConfig.submit));
    await waitFor(() => expect(reloadPage).toHaveBeenCalled());
    const { data } = requestsTo(fetch, 'POST', PLUGIN_SETTINGS_URL)[0];
    expect(data.jsonData.kubernetes).toEqual({ mode: 'endpoint', url: 'https://k8s:6443' });
    expect(data.secureJsonData).toEqual({ kubeToken: 'kube-secret' });
    expect(JSON.stringify(data.jsonData)).not.toContain('kube-secret');
    // The secrets reach the backend only through the proxy route's headers, never in the body.
    const [push] = requestsTo(fetch, 'PUT', kubernetesPaths.admin);
    expect(push.data).toEqual({ mode: 'endpoint', url: 'https://k8s:6443' });
  });

  it('saves the CA base64-encoded in secureJsonData, then pushes the Kubernetes settings to the backend', async () => {
    const fetch = installFakeBackendSrv({
      'GET api/kubernetes': { data: { source: 'config', mode: 'in-cluster', tokenSet: false, caSet: false } },
      [`POST ${PLUGIN_SETTINGS_URL}`]: { data: {} },
      [`PUT ${kubernetesPaths.admin}`]: { data: endpointSettings },
    });
    renderConfig({ backendUrl: 'http://backend:3001' }, { backendToken: true });
    await user.click(screen.getByLabelText('API endpoint'));
    await fill(screen.getByTestId(testIds.appConfig.kubeUrl), 'https://k8s:6443');
    await fill(screen.getByLabelText(/^Bearer token/), 'kube-secret');
    await user.click(screen.getByLabelText(/^CA certificate/));
    await user.paste('MIIB');
    expect(screen.getByText(/Paste the CA as PEM/)).toBeInTheDocument();
    expect(screen.getByTestId(testIds.appConfig.submit)).toBeDisabled();
    await user.clear(screen.getByLabelText(/^CA certificate/));
    await user.paste(`${PEM}\n\n`);
    expect(screen.queryByText(/Paste the CA as PEM/)).not.toBeInTheDocument();
    await user.click(screen.getByTestId(testIds.appConfig.submit));
    await waitFor(() => expect(reloadPage).toHaveBeenCalled());

    const calls = fetch.mock.calls.map(([r]) => `${r.method} ${r.url}`);
    const saved = calls.findIndex((c) => c.startsWith(`POST ${PLUGIN_SETTINGS_URL}`));
    const pushed = calls.findIndex((c) => c.endsWith(kubernetesPaths.admin));
    expect(saved).toBeGreaterThanOrEqual(0);
    expect(pushed).toBeGreaterThan(saved);
    const { secureJsonData } = requestsTo(fetch, 'POST', PLUGIN_SETTINGS_URL)[0].data;
    expect(secureJsonData).toEqual({ kubeToken: 'kube-secret', kubeCa: btoa(`${PEM}\n`) });
    expect(atob(secureJsonData.kubeCa)).toContain('-----BEGIN CERTIFICATE-----\nMIIB');
    expect(requestsTo(fetch, 'PUT', kubernetesPaths.admin)[0].data).toEqual({
      mode: 'endpoint',
      url: 'https://k8s:6443',
    });
  });

  it("shows the backend's refusal of the Kubernetes settings in words and does not reload", async () => {
    installFakeBackendSrv({
      'GET api/kubernetes': {
        data: { source: 'config', mode: 'in-cluster', url: 'https://10.0.0.1:443', tokenSet: false, caSet: false },
      },
      [`POST ${PLUGIN_SETTINGS_URL}`]: { data: {} },
      [`PUT ${kubernetesPaths.admin}`]: {
        status: 400,
        data: {
          error: 'bad_request',
          field: 'secureJsonData.kubeCa',
          message: 'secureJsonData.kubeCa: the CA certificate is not a readable certificate: bad DER',
        },
      },
    });
    renderConfig(
      { backendUrl: 'http://backend:3001', kubernetes: { mode: 'endpoint', url: 'https://k8s:6443' } },
      { backendToken: true, kubeToken: true }
    );
    expect(
      await screen.findByText(
        /The backend uses: its in-cluster service account https:\/\/10.0.0.1:443 \(from its config file\)/
      )
    ).toBeInTheDocument();
    await user.click(screen.getByLabelText(/^CA certificate/));
    await user.paste(PEM);
    await user.click(screen.getByTestId(testIds.appConfig.submit));
    const refusal = await screen.findByTestId(testIds.kubernetesAccess.error);
    expect(refusal).toHaveTextContent('The backend did not take the Kubernetes settings');
    expect(refusal).toHaveTextContent(
      'keeps using what it used before: secureJsonData.kubeCa: the CA certificate is not a readable certificate'
    );
    expect(reloadPage).not.toHaveBeenCalled();
    expect(screen.getByTestId(testIds.appConfig.unsaved)).toBeInTheDocument();
  });

  it('shows which Kubernetes the backend uses, and can send it back to its config file', async () => {
    let settings: object = endpointSettings;
    const fetch = installFakeBackendSrv({
      'GET api/kubernetes': () => ({ data: settings }),
      [`DELETE ${kubernetesPaths.admin}`]: () => {
        settings = { source: 'none', tokenSet: false, caSet: false };
        return { data: settings };
      },
    });
    renderConfig({ backendUrl: 'http://backend:3001' }, { backendToken: true });
    // The row is there while the backend is asked ("Asking the backend…"): wait for its answer in it.
    await waitFor(() =>
      expect(screen.getByTestId(testIds.kubernetesAccess.source)).toHaveTextContent(
        /The backend uses: API endpoint https:\/\/k8s:6443 \(set in Grafana by admin/
      )
    );
    await user.click(screen.getByTestId(testIds.kubernetesAccess.reset));
    expect(await screen.findByText('The backend uses: none: Kubernetes actions are blocked')).toBeInTheDocument();
    expect(requestsTo(fetch, 'DELETE', kubernetesPaths.admin)).toHaveLength(1);
    expect(reloadPage).not.toHaveBeenCalled();
  });

  it('offers to send Kubernetes settings saved in Grafana elsewhere (provisioning) that the backend does not use', async () => {
    let settings: object = {
      source: 'config',
      mode: 'in-cluster',
      url: 'https://10.0.0.1:443',
      tokenSet: true,
      caSet: false,
    };
    let refuse = true;
    const fetch = installFakeBackendSrv({
      'GET api/kubernetes': () => ({ data: settings }),
      [`PUT ${kubernetesPaths.admin}`]: () => {
        if (refuse) {
          return { status: 502, data: { message: 'Kubernetes did not answer: connect ECONNREFUSED' } };
        }
        settings = endpointSettings;
        return { data: settings };
      },
    });
    renderConfig(
      { backendUrl: 'http://backend:3001', kubernetes: { mode: 'endpoint', url: 'https://k8s:6443' } },
      { backendToken: true, kubeToken: true }
    );
    expect(await screen.findByTestId(testIds.kubernetesAccess.unsent)).toHaveTextContent(
      'Grafana has other Kubernetes settings saved (API endpoint https://k8s:6443, e.g. from provisioning) that the backend does not use.'
    );

    await user.click(screen.getByTestId(testIds.kubernetesAccess.send));
    expect(await screen.findByTestId(testIds.kubernetesAccess.error)).toHaveTextContent(
      'The backend refused them or could not be reached'
    );
    expect(screen.getByTestId(testIds.kubernetesAccess.unsent)).toBeInTheDocument();

    refuse = false;
    await user.click(screen.getByTestId(testIds.kubernetesAccess.send));
    expect(
      await screen.findByText(/The backend uses: API endpoint https:\/\/k8s:6443 \(set in Grafana/)
    ).toBeInTheDocument();
    expect(screen.queryByTestId(testIds.kubernetesAccess.unsent)).not.toBeInTheDocument();
    expect(screen.queryByTestId(testIds.kubernetesAccess.error)).not.toBeInTheDocument();
    expect(requestsTo(fetch, 'PUT', kubernetesPaths.admin).map((r) => r.data)).toEqual([
      { mode: 'endpoint', url: 'https://k8s:6443' },
      { mode: 'endpoint', url: 'https://k8s:6443' },
    ]);
    // Nothing was saved in Grafana and nothing reloads: only the backend changed.
    expect(requestsTo(fetch, 'POST', PLUGIN_SETTINGS_URL)).toHaveLength(0);
    expect(reloadPage).not.toHaveBeenCalled();
  });

  it('says nothing about saved Kubernetes settings the backend already uses', async () => {
    installFakeBackendSrv({ 'GET api/kubernetes': { data: endpointSettings } });
    renderConfig(
      { backendUrl: 'http://backend:3001', kubernetes: { mode: 'endpoint', url: 'https://k8s:6443' } },
      { backendToken: true, kubeToken: true }
    );
    expect(await screen.findByText(/The backend uses: API endpoint https:\/\/k8s:6443/)).toBeInTheDocument();
    expect(screen.queryByTestId(testIds.kubernetesAccess.unsent)).not.toBeInTheDocument();
  });

  it('reports in words what each connection test finds', async () => {
    installFakeBackendSrv({
      'GET healthz': { data: { status: 'ok', version: '1.2.3', uptimeSeconds: 5 } },
      [`GET ${healingPaths.killSwitch}`]: { status: 401, data: { message: 'a valid bearer token is required' } },
      'GET readyz': {
        status: 503,
        data: {
          status: 'not_ready',
          checks: { store: { ok: true }, prometheus: { ok: false, message: 'connection refused at http://prom:9090' } },
        },
      },
      [`POST ${healingPaths.testKubernetes}`]: {
        data: { ok: true, message: 'Kubernetes accepted a server-side dry run of scaling deployment default/x' },
      },
    });
    renderConfig({ backendUrl: 'http://backend:3001' }, { backendToken: true });
    await user.click(screen.getByTestId(testIds.appConfig.testButton('backend')));
    expect(
      await screen.findByText(/The backend 1.2.3 answers, but: the backend refused the token/)
    ).toBeInTheDocument();
    await user.click(screen.getByTestId(testIds.appConfig.testButton('prometheus')));
    expect(
      await screen.findByText(/Backend's Prometheus: fails \(connection refused at http:\/\/prom:9090\)/)
    ).toBeInTheDocument();
    await user.click(screen.getByTestId(testIds.appConfig.testButton('kubernetes')));
    expect(await screen.findByText(/accepted a server-side dry run/)).toBeInTheDocument();
    expect(screen.getByTestId(testIds.appConfig.testResult('kubernetes'))).toHaveAttribute('data-ok', 'true');
    expect(screen.getByTestId(testIds.appConfig.testResult('backend'))).toHaveAttribute('data-ok', 'false');
  });
});
