export interface AnomalyPanelOptions {
  showLegend: boolean;
}
