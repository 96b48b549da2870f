import { FieldConfigProperty, PanelPlugin } from '@grafana/data';
import { PRODUCT_DETECTOR_NAMES } from '../../detection';
import { AnomalyPanel } from './AnomalyPanel';
import { defaultLayers, type AnomalyPanelOptions } from './types';

const DETECTOR_DESCRIPTIONS: Record<string, string> = {
  failureprophet: 'Daily profile with calibrated tails (recommended)',
  ewma: 'Exponentially weighted moving average',
  zscore: 'Rolling z-score',
  iforest: 'Isolation Forest on temporal features',
};

/** A radio's settings from its labels by value, in order. */
function radio<V extends string>(labels: Record<V, string>) {
  return { options: (Object.keys(labels) as V[]).map((value) => ({ value, label: labels[value] })) };
}

export const plugin = new PanelPlugin<AnomalyPanelOptions>(AnomalyPanel)
  .useFieldConfig({
    // Thresholds and colour schemes by value would fight the band and the limit line drawn here.
    disableStandardOptions: [FieldConfigProperty.Thresholds, FieldConfigProperty.Mappings],
  })
  .setPanelOptions((builder) =>
    builder
      .addSliderInput({
        path: 'sensitivity',
        name: 'Sensitivity',
        description: 'Higher marks milder departures as anomalies; 50 uses the detector’s recommended threshold.',
        defaultValue: 50,
        settings: { min: 0, max: 100, step: 5 },
        category: ['Detection'],
      })
      .addSelect({
        path: 'detector',
        name: 'Detector',
        description: 'Detector run in the browser when the backend does not score the series.',
        defaultValue: 'failureprophet',
        settings: {
          options: PRODUCT_DETECTOR_NAMES.map((name) => ({
            value: name,
            label: name,
            description: DETECTOR_DESCRIPTIONS[name],
          })),
        },
        category: ['Detection'],
      })
      .addRadio({
        path: 'source',
        name: 'Scores from',
        description: 'Auto: the backend’s scores and anomalies when it watches the series, else the browser.',
        defaultValue: 'auto',
        settings: radio({ auto: 'Auto', backend: 'Backend', browser: 'Browser' }),
        category: ['Detection'],
      })
      .addTextInput({
        path: 'backendSignal',
        name: 'Backend signal',
        description:
          'The backend watch and signal that score this query, as watch/signal (e.g. node/memory). Series whose labels match one of its targets show the backend’s scores and anomalies.',
        settings: { placeholder: 'watch/signal' },
        category: ['Detection'],
        showIf: (o) => o.source !== 'browser',
      })
      .addBooleanSwitch({
        path: 'layers.band',
        name: 'Expected band',
        defaultValue: defaultLayers.band,
        category: ['Layers'],
      })
      .addBooleanSwitch({
        path: 'layers.score',
        name: 'Anomaly score',
        description: 'On a right-hand 0–1 axis',
        defaultValue: defaultLayers.score,
        category: ['Layers'],
      })
      .addBooleanSwitch({
        path: 'layers.anomalies',
        name: 'Anomalies',
        description: 'Marked as ranges',
        defaultValue: defaultLayers.anomalies,
        category: ['Layers'],
      })
      .addBooleanSwitch({
        path: 'layers.forecast',
        name: 'Forecast',
        defaultValue: defaultLayers.forecast,
        category: ['Layers'],
      })
      .addNumberInput({
        path: 'forecastLimit',
        name: 'Limit',
        description:
          'Value the forecast is checked against, in the series’ unit (e.g. 0.9 for 90% of a memory limit); the time to failure is when it is crossed. Series the backend scores show the backend’s time to failure, against their watch’s limit, instead.',
        settings: { placeholder: 'none' },
        category: ['Forecast'],
        showIf: (o) => o.layers?.forecast !== false,
      })
      .addRadio({
        path: 'forecastDirection',
        name: 'Failure when the series goes',
        defaultValue: 'above',
        settings: radio({ above: 'Above the limit', below: 'Below the limit' }),
        category: ['Forecast'],
        showIf: (o) => o.layers?.forecast !== false,
      })
      .addBooleanSwitch({
        path: 'showLegend',
        name: 'Legend',
        description: 'Show the series legend below the graph',
        defaultValue: true,
        category: ['Legend'],
      })
  );
