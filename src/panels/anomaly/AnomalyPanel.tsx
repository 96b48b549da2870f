import React, { useLayoutEffect, useMemo, useRef } from 'react';
import { css } from '@emotion/css';
import { dateTime, type GrafanaTheme2, type PanelProps, type TimeRange } from '@grafana/data';
import { PanelDataErrorView } from '@grafana/runtime';
import { LegendDisplayMode } from '@grafana/schema';
import { TimeSeries, TooltipPlugin2, useStyles2, useTheme2, type UPlotConfigBuilder } from '@grafana/ui';
import { AnomalySummary, SUMMARY_HEIGHT } from './components/AnomalySummary';
import { AnomalyTooltip } from './components/AnomalyTooltip';
import { LAYER_KEY_HEIGHT, LayerKey } from './components/LayerKey';
import { drawOverlays, type Overlays } from './components/overlays';
import { thresholdOfSensitivity } from './model/browser';
import { alignedPlotFrame, buildPlotFrames } from './model/plotFrames';
import { readSeries } from './model/series';
import { record, timed } from './perf';
import { panelTestIds } from './testIds';
import { defaultLayers, type AnomalyPanelOptions } from './types';
import { useBrowserAnalyses, useMergedAnalyses } from './useAnalyses';
import { useBackendSeries } from './useBackendSeries';
import { useRenderedHeight } from './useRenderedHeight';

/** Share of the dashboard's time range the forecast may extend the graph by. */
const FORECAST_SHARE = 0.25;
/** TooltipPlugin2's "all series at this x" mode (a const enum @grafana/ui does not export). */
const HOVER_ALL_SERIES = 1;
/**
 * Plotted points per field ≈ twice the buckets: one bucket per pixel of panel width keeps every
 * spike (min and max) while drawing thousands fewer points. Rounded up to a step so a resize by a
 * few pixels reuses the frame and only redraws.
 */
const BUCKET_STEP_PX = 256;
const plotPointsFor = (width: number) =>
  2 * Math.max(BUCKET_STEP_PX, Math.ceil(width / BUCKET_STEP_PX) * BUCKET_STEP_PX);

/** A series with its learned band, anomaly score, anomalies as ranges, and forecast to its limit. */
export function AnomalyPanel({
  data,
  width,
  height,
  timeRange,
  timeZone,
  options,
  fieldConfig,
  id,
}: PanelProps<AnomalyPanelOptions>) {
  const theme = useTheme2();
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
  const maxPoints = plotPointsFor(width);
  const plot = useMemo(
    () => timed('frames', () => buildPlotFrames(analyses, layers, threshold, theme, maxPoints)),
    [analyses, layers, threshold, theme, maxPoints]
  );
  // Same fields and settings, new values: TimeSeries updates uPlot's data instead of rebuilding the plot.
  const structureRev = useMemo(() => revisionOf(plot.structureKey), [plot.structureKey]);

  // Anomaly ranges and the predicted crossing, drawn over the series by the hook below.
  const overlays = useMemo<Overlays>(
    () => ({
      ranges: layers.anomalies ? analyses.flatMap((a) => a.ranges) : [],
      crossings: layers.forecast
        ? analyses.flatMap((a) => (a.forecast?.crossing ? [{ ...a.forecast.crossing, name: a.series.name }] : []))
        : [],
    }),
    [analyses, layers]
  );
  // The plot outlives a data update, so its draw hook reads the overlays of the latest render.
  const overlaysRef = useRef(overlays);
  useLayoutEffect(() => {
    // Before uPlot's redraw, which it queues in a microtask after the commit.
    overlaysRef.current = overlays;
  }, [overlays]);
  const renderers = useMemo(
    () => [
      {
        fieldMap: {},
        indicesOnly: [],
        init: (builder: UPlotConfigBuilder) => {
          let drawStart = 0;
          builder.addHook('drawClear', () => {
            drawStart = performance.now();
          });
          builder.addHook('draw', (u) => {
            drawOverlays(u, overlaysRef.current, theme);
            record('draw', drawStart);
          });
        },
      },
    ],
    [theme]
  );

  // The key wraps to as many lines as the width needs; the graph gets the height that is left.
  const layerKeyRef = useRef<HTMLDivElement>(null);
  const layerKeyHeight = useRenderedHeight(layerKeyRef, LAYER_KEY_HEIGHT, [width, analyses, layers, threshold]);

  // TimeSeries rebuilds its whole plot when the legend object changes, so it must keep its identity.
  const legend = useMemo(
    () => ({
      showLegend: options.showLegend,
      displayMode: LegendDisplayMode.List,
      placement: 'bottom' as const,
      calcs: [],
    }),
    [options.showLegend]
  );

  // The forecast lies after "now": widen the x axis just enough to show it.
  const forecastEnd = layers.forecast
    ? Math.max(...analyses.map((a) => (a.forecast ? a.forecast.path.time[a.forecast.path.time.length - 1] : -Infinity)))
    : -Infinity;
  const plotRange = useMemo<TimeRange>(
    () =>
      forecastEnd > timeRange.to.valueOf()
        ? { from: timeRange.from, to: dateTime(forecastEnd), raw: timeRange.raw }
        : timeRange,
    [timeRange, forecastEnd]
  );

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
        timeZone={timeZone}
        showAnomalies={layers.anomalies}
        showForecast={layers.forecast}
        backendError={options.source !== 'browser' && options.backendSignal ? backend.error : undefined}
        backendRequired={options.source === 'backend'}
      />
      <div ref={layerKeyRef}>
        <LayerKey analyses={analyses} layers={layers} threshold={threshold} />
      </div>
      <TimeSeries
        frames={plot.frames}
        preparePlotFrame={alignedPlotFrame}
        structureRev={structureRev}
        timeRange={plotRange}
        timeZone={timeZone}
        width={width}
        height={height - SUMMARY_HEIGHT - layerKeyHeight}
        renderers={renderers}
        options={options}
        legend={legend}
      >
        {(config, alignedFrame) => (
          <TooltipPlugin2
            config={config}
            hoverMode={HOVER_ALL_SERIES}
            render={(u, dataIdxs) => (
              <AnomalyTooltip
                alignedFrame={alignedFrame}
                dataIdxs={dataIdxs}
                colors={plot.colors}
                analyses={analyses}
                showForecast={layers.forecast}
                timeZone={timeZone}
              />
            )}
          />
        )}
      </TimeSeries>
    </div>
  );
}

/** A positive number that changes with the key (FNV-1a): GraphNG compares revisions, not keys. */
function revisionOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  }
  return h >>> 0 || 1;
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
