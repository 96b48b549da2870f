import React from 'react';
import { render, screen } from '@testing-library/react';
import { setupUser } from '../../testUtils/user';
import { connectionErrors, initialConnectionForm, type ConnectionForm } from './connectionForm';
import { KubernetesSection } from './KubernetesSection';

const user = setupUser();

function renderSection(form: ConnectionForm) {
  const onChange = jest.fn();
  render(<KubernetesSection form={form} errors={connectionErrors(form)} onChange={onChange} />);
  return onChange;
}

describe('KubernetesSection', () => {
  it("says the backend's own config applies while nothing is chosen, and asks for no endpoint fields", async () => {
    const onChange = renderSection(initialConnectionForm({}, {}));
    expect(screen.getByText(/Not set in Grafana: the backend uses its own config/)).toBeInTheDocument();
    expect(screen.queryByLabelText(/^API server URL/)).not.toBeInTheDocument();
    await user.click(screen.getByLabelText('API endpoint'));
    expect(onChange).toHaveBeenCalledWith({ kubeMode: 'endpoint' });
  });

  it('asks for an endpoint URL, token and CA, with the reason beside each field', () => {
    renderSection({ ...initialConnectionForm({}, {}), kubeMode: 'endpoint', kubeUrl: 'http://k8s:6443' });
    expect(screen.getByText('The Kubernetes API is served over https://')).toBeInTheDocument();
    expect(screen.getByText('A bearer token is required for an API endpoint')).toBeInTheDocument();
    expect(screen.getByText(/Saving a change here sends it to the backend/)).toBeInTheDocument();
  });

  it('resets a configured token (it cannot be read back, only replaced)', async () => {
    const onChange = renderSection(
      initialConnectionForm({ kubernetes: { mode: 'endpoint', url: 'https://k8s:6443' } }, { kubeToken: true })
    );
    const [resetToken] = screen.getAllByRole('button', { name: /reset/i });
    await user.click(resetToken);
    expect(onChange).toHaveBeenCalledWith({ kubeToken: '', isKubeTokenSet: false });
  });
});
