import React from 'react';
import { render, screen } from '@testing-library/react';
import { healingPaths } from '../api/healing';
import { installFakeBackendSrv, requestsTo, type FakeReply } from '../testUtils/fakeBackendSrv';
import { setupUser } from '../testUtils/user';
import { testIds } from '../testIds';
import { ConnectionTests } from './ConnectionTests';

const user = setupUser();

const live = { data: { status: 'ok', version: '1.2.3', uptimeSeconds: 5 } };
const ready = {
  data: { status: 'ready', checks: { store: { ok: true }, prometheus: { ok: true } }, degradedWatches: [] },
};
const healthUrl = (uid: string) => `GET /api/datasources/uid/${uid}/health`;

const result = (check: string) => screen.getByTestId(testIds.appConfig.testResult(check));
const button = (check: string) => screen.getByTestId(testIds.appConfig.testButton(check));

describe('ConnectionTests', () => {
  it('warns that the tests use the saved settings only while there are unsaved changes', () => {
    installFakeBackendSrv({});
    const { rerender } = render(<ConnectionTests dirty={true} />);
    expect(screen.getByText(/save your changes first/)).toBeInTheDocument();
    rerender(<ConnectionTests dirty={false} />);
    expect(screen.queryByText(/save your changes first/)).not.toBeInTheDocument();
  });

  it('says the backend answers and accepts the token', async () => {
    installFakeBackendSrv({ 'GET healthz': live, [`GET ${healingPaths.killSwitch}`]: { data: { engaged: false } } });
    render(<ConnectionTests dirty={false} />);
    await user.click(button('backend'));
    expect(await screen.findByText(/The backend 1.2.3 answers and accepts the token\./)).toBeInTheDocument();
    expect(result('backend')).toHaveAttribute('data-ok', 'true');
    expect(result('prometheus')).not.toHaveAttribute('data-ok');
  });

  it('says why the backend cannot be reached at all', async () => {
    installFakeBackendSrv({ 'GET healthz': { status: 502, data: { message: 'Bad Gateway' } } });
    render(<ConnectionTests dirty={false} />);
    await user.click(button('backend'));
    expect(await screen.findByText(/Bad Gateway/)).toBeInTheDocument();
    expect(result('backend')).toHaveAttribute('data-ok', 'false');
  });

  it("checks the backend's Prometheus and the chosen Grafana data source", async () => {
    const fetch = installFakeBackendSrv({
      'GET readyz': ready,
      [healthUrl('prom')]: { data: { status: 'OK', message: 'Successfully queried the Prometheus API' } },
    });
    render(<ConnectionTests datasourceUid="prom" dirty={false} />);
    await user.click(button('prometheus'));
    expect(await screen.findByText(/Grafana data source: Successfully/)).toBeInTheDocument();
    expect(result('prometheus')).toHaveAttribute('data-ok', 'true');
    expect(result('prometheus')).toHaveTextContent(
      "Backend's Prometheus: answers. Grafana data source: Successfully queried the Prometheus API."
    );
    expect(requestsTo(fetch, 'GET', '/api/datasources/uid/prom/health')).toHaveLength(1);
  });

  it('fails the Prometheus test when the Grafana data source fails, even if the backend is fine', async () => {
    installFakeBackendSrv({
      'GET readyz': ready,
      [healthUrl('prom')]: { status: 400, data: { message: 'dial tcp: connection refused' } },
    });
    render(<ConnectionTests datasourceUid="prom" dirty={false} />);
    await user.click(button('prometheus'));
    expect(await screen.findByText(/Grafana data source fails: dial tcp: connection refused\./)).toBeInTheDocument();
    expect(result('prometheus')).toHaveAttribute('data-ok', 'false');
  });

  it('asks Grafana nothing when no data source is chosen', async () => {
    const fetch = installFakeBackendSrv({ 'GET readyz': ready });
    render(<ConnectionTests dirty={false} />);
    await user.click(button('prometheus'));
    expect(await screen.findByText("Backend's Prometheus: answers.", { exact: false })).toBeInTheDocument();
    expect(result('prometheus')).not.toHaveTextContent('Grafana data source');
    expect(fetch.mock.calls.map(([r]) => r.url).filter((url) => url.startsWith('/api/datasources'))).toEqual([]);
  });

  it('shows "Testing…" and disables the button while a test runs, then the outcome', async () => {
    let answer: (reply: FakeReply) => void = () => undefined;
    installFakeBackendSrv({
      [`POST ${healingPaths.testKubernetes}`]: () => new Promise<FakeReply>((resolve) => (answer = resolve)),
    });
    render(<ConnectionTests dirty={false} />);
    await user.click(button('kubernetes'));
    expect(await screen.findByText('Testing…')).toBeInTheDocument();
    expect(button('kubernetes')).toBeDisabled();
    answer({ data: { ok: false, message: 'pods is forbidden: cannot list pods in namespace default' } });
    expect(await screen.findByText(/pods is forbidden/)).toBeInTheDocument();
    expect(result('kubernetes')).toHaveAttribute('data-ok', 'false');
    expect(button('kubernetes')).toBeEnabled();
    expect(screen.queryByText('Testing…')).not.toBeInTheDocument();
  });
});
