import React from 'react';
import { render, screen } from '@testing-library/react';
import { setupUser } from '../../testUtils/user';
import { CONFIG_PAGE_URL } from '../../../constants';
import { installFakeBackendSrv } from '../../testUtils/fakeBackendSrv';
import { testIds } from '../../testIds';
import { BackendStatus } from './BackendStatus';

const user = setupUser();

const ready = {
  status: 'ready',
  checks: { store: { ok: true }, prometheus: { ok: true, message: 'answering at http://prometheus:9090' } },
};

describe('BackendStatus', () => {
  it('links to the configuration when the backend is not configured, without calling it', () => {
    const fetch = installFakeBackendSrv({});
    render(<BackendStatus configured={false} />);
    expect(screen.getByTestId(testIds.backendStatus.notConfigured)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /open configuration/i })).toHaveAttribute('href', CONFIG_PAGE_URL);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('shows each readiness check', async () => {
    installFakeBackendSrv({ 'GET readyz': { data: ready } });
    render(<BackendStatus configured />);
    expect(await screen.findByText('Ready')).toBeInTheDocument();
    expect(screen.getByTestId(testIds.backendStatus.check('prometheus'))).toHaveTextContent(
      'answering at http://prometheus:9090'
    );
    expect(screen.getByTestId(testIds.backendStatus.check('store'))).toHaveTextContent('OK');
  });

  it('treats a 503 with checks as "not ready" and says which check fails', async () => {
    const notReady = {
      status: 'not_ready',
      checks: { store: { ok: true }, prometheus: { ok: false, message: 'no Prometheus configured' } },
    };
    installFakeBackendSrv({ 'GET readyz': { status: 503, data: notReady } });
    render(<BackendStatus configured />);
    expect(await screen.findByText('Not ready')).toBeInTheDocument();
    expect(screen.getByTestId(testIds.backendStatus.check('prometheus'))).toHaveTextContent('Failing');
    expect(screen.getByTestId(testIds.backendStatus.check('prometheus'))).toHaveTextContent('no Prometheus configured');
  });

  it('says in words when the backend is unreachable, and retries on request', async () => {
    let calls = 0;
    installFakeBackendSrv({
      'GET readyz': () =>
        ++calls === 1
          ? { status: 502, data: { message: 'dial tcp 10.0.0.1:3001: connection refused' } }
          : { data: ready },
    });
    render(<BackendStatus configured />);
    expect(await screen.findByTestId(testIds.backendStatus.error)).toHaveTextContent(
      'the backend is unreachable: dial tcp 10.0.0.1:3001: connection refused'
    );
    await user.click(screen.getByRole('button', { name: /retry/i }));
    expect(await screen.findByText('Ready')).toBeInTheDocument();
  });

  it('says the token was refused on 401', async () => {
    installFakeBackendSrv({
      'GET readyz': { status: 401, data: { error: 'unauthorized', message: 'a valid bearer token is required' } },
    });
    render(<BackendStatus configured />);
    expect(await screen.findByTestId(testIds.backendStatus.error)).toHaveTextContent(/refused the token/);
  });
});
