import React, { useMemo, useRef } from 'react';
import { css } from '@emotion/css';
import { type GrafanaTheme2, type PanelProps } from '@grafana/data';
import { PanelDataErrorView } from '@grafana/runtime';
import { useStyles2 } from '@grafana/ui';
import { AnomalyPlot } from './components/AnomalyPlot';
import { AnomalySummary, SUMMARY_HEIGHT } from './components/AnomalySummary';
import { LAYER_KEY_HEIGHT, LayerKey } from './components/LayerKey';
import { thresholdOfSensitivity } from './model/browser';
import { readSeries } from './model/series';
import { panelTestIds } from './testIds';
import { defaultLayers, type AnomalyPanelOptions } from './types';
import { useBrowserAnalyses, useMergedAnalyses } from './useAnalyses';
import { useBackendSeries } from './useBackendSeries';
import { useRenderedHeight } from './useRenderedHeight';

/** Share of the dashboard's time range the forecast may extend the graph by. */
const FORECAST_SHARE = 0.25;

/** A series with its learned band, anomaly score, anomalies as ranges, and forecast to its limit. */
export function AnomalyPanel(props: PanelProps<AnomalyPanelOptions>) {
  const { data, width, height, timeRange, timeZone, options, fieldConfig, id } = props;
  const styles = useStyles2(getStyles);
  const layers = options.layers ?? defaultLayers;
  const read = useMemo(() => readSeries(data.series), [data.series]);
  const threshold = thresholdOfSensitivity(options.sensitivity);
  const rangeMs = timeRange.to.valueOf() - timeRange.from.valueOf();
  const backend = useBackendSeries(
    read.series,
    options.source,
    options.backendSignal,
    timeRange.from.valueOf(),
    timeRange.to.valueOf()
  );
  const browser = useBrowserAnalyses(read.series, {
    detector: options.detector,
    threshold,
    withForecast: layers.forecast,
    horizonMs: Math.max(rangeMs * FORECAST_SHARE, 60_000),
    limit: options.forecastLimit ?? undefined,
    direction: options.forecastDirection,
  });
  const analyses = useMergedAnalyses(browser, backend, options.source);

  // The key wraps to as many lines as the width needs; the graph gets the height that is left.
  const layerKeyRef = useRef<HTMLDivElement>(null);
  const layerKeyHeight = useRenderedHeight(layerKeyRef, LAYER_KEY_HEIGHT, [width, analyses, layers, threshold]);

  if (read.series.length === 0) {
    return (
      <div data-testid={panelTestIds.noData} className={styles.empty}>
        <PanelDataErrorView
          panelId={id}
          fieldConfig={fieldConfig}
          data={data}
          needsTimeField
          needsNumberField
          message={
            read.problem === 'no-time-field'
              ? 'The query returned no time field: use a range query, not an instant one.'
              : undefined
          }
        />
      </div>
    );
  }

  return (
    <div data-testid={panelTestIds.container} className={styles.container}>
      <AnomalySummary
        analyses={analyses}
        // The dashboard's now: the moment its data (the backend's forecast included) was asked for on a
        // relative range, and the graph's right edge, so the countdown matches the crossing drawn.
        nowMs={timeRange.to.valueOf()}
        timeZone={timeZone}
        showAnomalies={layers.anomalies}
        showForecast={layers.forecast}
        backendError={options.source !== 'browser' && options.backendSignal ? backend.error : undefined}
        backendRequired={options.source === 'backend'}
      />
      <div ref={layerKeyRef}>
        <LayerKey analyses={analyses} layers={layers} threshold={threshold} />
      </div>
      <AnomalyPlot
        panel={props}
        analyses={analyses}
        layers={layers}
        threshold={threshold}
        height={height - SUMMARY_HEIGHT - layerKeyHeight}
      />
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({
    position: 'relative',
    display: 'flex',
    flexDirection: 'column',
  }),
  empty: css({
    height: '100%',
    color: theme.colors.text.secondary,
  }),
});
