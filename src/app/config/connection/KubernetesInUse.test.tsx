import React from 'react';
import { render, screen } from '@testing-library/react';
import type { KubernetesSettings } from '../../../contract/kubernetes';
import { kubernetesPaths } from '../../api/kubernetes';
import type { BackendQuery } from '../../api/useBackendQuery';
import { BackendError } from '../../api/backend';
import { installFakeBackendSrv, requestsTo } from '../../testUtils/fakeBackendSrv';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';
import { KubernetesInUse } from './KubernetesInUse';

const user = setupUser();

const fromConfig: KubernetesSettings = {
  source: 'config',
  mode: 'in-cluster',
  url: 'https://10.0.0.1:443',
  tokenSet: true,
  caSet: false,
};

function query(data?: KubernetesSettings, error?: BackendError): BackendQuery<KubernetesSettings> {
  return { loading: !data && !error, data, error, reload: jest.fn() };
}

describe('KubernetesInUse', () => {
  it('says what the backend uses, and offers to send what Grafana saved elsewhere', async () => {
    const fetch = installFakeBackendSrv({
      [`PUT ${kubernetesPaths.admin}`]: { data: { ...fromConfig, source: 'grafana' } },
    });
    const backendKube = query(fromConfig);
    const onError = jest.fn();
    render(
      <KubernetesInUse
        backendKube={backendKube}
        saved={{ mode: 'endpoint', url: 'https://k8s:6443' }}
        editing={false}
        onError={onError}
      />
    );
    expect(screen.getByTestId(testIds.kubernetesAccess.source)).toHaveTextContent(
      'The backend uses: its in-cluster service account https://10.0.0.1:443 (from its config file)'
    );
    // From its config file: there is nothing to go back to.
    expect(screen.queryByTestId(testIds.kubernetesAccess.reset)).not.toBeInTheDocument();
    expect(screen.getByTestId(testIds.kubernetesAccess.unsent)).toHaveTextContent(
      'Grafana has other Kubernetes settings saved (API endpoint https://k8s:6443, e.g. from provisioning)'
    );
    await user.click(screen.getByTestId(testIds.kubernetesAccess.send));
    expect(requestsTo(fetch, 'PUT', kubernetesPaths.admin).map((r) => r.data)).toEqual([
      { mode: 'endpoint', url: 'https://k8s:6443' },
    ]);
    expect(backendKube.reload).toHaveBeenCalled();
    expect(onError).not.toHaveBeenCalledWith(expect.any(String));
  });

  it('does not offer the saved settings while the admin is changing them, nor when the backend uses them', () => {
    const { rerender } = render(
      <KubernetesInUse
        backendKube={query(fromConfig)}
        saved={{ mode: 'endpoint', url: 'https://k8s:6443' }}
        editing
        onError={jest.fn()}
      />
    );
    expect(screen.queryByTestId(testIds.kubernetesAccess.unsent)).not.toBeInTheDocument();
    rerender(
      <KubernetesInUse
        backendKube={query({ source: 'grafana', mode: 'in-cluster', tokenSet: false, caSet: false })}
        saved={{ mode: 'in-cluster' }}
        editing={false}
        onError={jest.fn()}
      />
    );
    expect(screen.queryByTestId(testIds.kubernetesAccess.unsent)).not.toBeInTheDocument();
    expect(screen.getByTestId(testIds.kubernetesAccess.reset)).toBeInTheDocument();
  });

  it("reports the backend's refusal to go back to its config file", async () => {
    installFakeBackendSrv({
      [`DELETE ${kubernetesPaths.admin}`]: { status: 500, data: { message: 'store is read-only' } },
    });
    const onError = jest.fn();
    render(
      <KubernetesInUse
        backendKube={query({ source: 'grafana', mode: 'in-cluster', tokenSet: false, caSet: false })}
        editing={false}
        onError={onError}
      />
    );
    await user.click(screen.getByTestId(testIds.kubernetesAccess.reset));
    expect(onError).toHaveBeenLastCalledWith('The backend could not go back to its config file: store is read-only');
  });

  it('says when the backend cannot be asked, and while it is being asked', () => {
    const { rerender } = render(<KubernetesInUse backendKube={query()} editing={false} onError={jest.fn()} />);
    expect(screen.getByText('Asking the backend which Kubernetes it uses…')).toBeInTheDocument();
    rerender(
      <KubernetesInUse
        backendKube={query(undefined, new BackendError('the backend is unreachable', 502))}
        editing={false}
        onError={jest.fn()}
      />
    );
    expect(
      screen.getByText('Which Kubernetes the backend uses is unknown: the backend is unreachable')
    ).toBeInTheDocument();
  });
});
