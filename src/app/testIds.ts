/** Every data-testid of the app, shared by unit and browser tests. */
export const testIds = {
  appConfig: {
    container: 'data-testid fp-app-config',
    backendUrl: 'data-testid fp-backend-url',
    backendToken: 'data-testid fp-backend-token',
    submit: 'data-testid fp-config-submit',
    saveError: 'data-testid fp-config-save-error',
    saveSuccess: 'data-testid fp-config-save-success',
  },
  overview: {
    container: 'data-testid fp-overview',
  },
  backendStatus: {
    container: 'data-testid fp-backend-status',
    notConfigured: 'data-testid fp-backend-not-configured',
    error: 'data-testid fp-backend-error',
    check: (name: string) => `data-testid fp-backend-check-${name}`,
  },
  anomalyPanel: {
    container: 'data-testid fp-anomaly-panel',
    noData: 'data-testid fp-anomaly-panel-no-data',
  },
};
