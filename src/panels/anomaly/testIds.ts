/** Every data-testid of the anomaly panel, shared by its unit and browser tests. */
export const panelTestIds = {
  container: 'data-testid fp-anomaly-panel',
  noData: 'data-testid fp-anomaly-panel-no-data',
  summary: 'data-testid fp-anomaly-panel-summary',
  anomalyList: 'data-testid fp-anomaly-panel-anomalies',
  timeToFailure: 'data-testid fp-anomaly-panel-ttf',
  source: 'data-testid fp-anomaly-panel-source',
  warmup: 'data-testid fp-anomaly-panel-warmup',
  error: 'data-testid fp-anomaly-panel-error',
  layerKey: 'data-testid fp-anomaly-panel-layer-key',
  layerKeyItem: (item: string) => `data-testid fp-anomaly-panel-layer-${item}`,
};
