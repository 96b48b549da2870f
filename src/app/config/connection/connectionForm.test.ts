import { connectionErrors, hasErrors, initialConnectionForm, kubeChanged, secretsToSave } from './connectionForm';

const saved = initialConnectionForm(
  { backendUrl: 'http://backend:3001', kubernetes: { mode: 'endpoint', url: 'https://k8s:6443' } },
  { backendToken: true, kubeToken: true, kubeCa: true }
);

describe('the connection form', () => {
  it('starts from what Grafana saved, with secrets only as "set"', () => {
    expect(saved).toMatchObject({
      backendUrl: 'http://backend:3001',
      backendToken: '',
      isTokenSet: true,
      kubeMode: 'endpoint',
      kubeUrl: 'https://k8s:6443',
      isKubeTokenSet: true,
      isKubeCaSet: true,
    });
    expect(hasErrors(connectionErrors(saved))).toBe(false);
    expect(secretsToSave(saved, saved)).toBeUndefined();
  });

  it('asks for the Kubernetes URL and token only for an API endpoint', () => {
    const blank = initialConnectionForm({}, {});
    expect(connectionErrors({ ...blank, backendUrl: 'http://b:3001', backendToken: 't' })).toEqual({});
    expect(connectionErrors({ ...blank, kubeMode: 'endpoint', kubeUrl: 'http://k8s' })).toMatchObject({
      kubeUrl: 'The Kubernetes API is served over https://',
      kubeToken: 'A bearer token is required for an API endpoint',
    });
    expect(connectionErrors({ ...saved, kubeCa: 'MII…' }).kubeCa).toMatch(/Paste the CA as PEM/);
  });

  it('sends a reset secret as empty, a new CA base64-encoded, and an untouched one not at all', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    expect(secretsToSave({ ...saved, isKubeTokenSet: false, kubeCa: `${pem}\n\n` }, saved)).toEqual({
      kubeToken: '',
      kubeCa: btoa(`${pem}\n`),
    });
    expect(secretsToSave({ ...saved, backendToken: 'new' }, saved)).toEqual({ backendToken: 'new' });
  });

  it('knows whether the Kubernetes part changed (and so must be sent to the backend)', () => {
    expect(kubeChanged({ ...saved, backendUrl: 'http://other:3001' }, saved)).toBe(false);
    expect(kubeChanged({ ...saved, kubeUrl: 'https://k8s-2:6443' }, saved)).toBe(true);
  });
});
