import type { LimitDirection } from '../../detection';

/** Where the scores and anomalies come from. */
export type ScoreSource = 'auto' | 'backend' | 'browser';

/** Which layers are drawn over the series. */
export interface AnomalyLayers {
  band: boolean;
  score: boolean;
  anomalies: boolean;
  forecast: boolean;
}

export interface AnomalyPanelOptions {
  showLegend: boolean;
  layers: AnomalyLayers;
  /** 0 (only the most unlikely values) to 100 (flag mild departures); 50 is the detector's recommended threshold. */
  sensitivity: number;
  /** Detector run in the browser (`createDetector` name). */
  detector: string;
  source: ScoreSource;
  /** `watch/signal` of the backend watch that scores this query (e.g. `node/memory`); none: browser only. */
  backendSignal?: string;
  /** Limit the forecast is checked against (in the series' unit); no forecast crossing without it. */
  forecastLimit?: number;
  forecastDirection: LimitDirection;
}

export const defaultLayers: AnomalyLayers = { band: true, score: true, anomalies: true, forecast: true };
