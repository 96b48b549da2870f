import React, { useLayoutEffect, useMemo, useRef } from 'react';
import { dateTime, type PanelProps, type TimeRange } from '@grafana/data';
import { LegendDisplayMode } from '@grafana/schema';
import { TimeSeries, TooltipPlugin2, useTheme2, type UPlotConfigBuilder } from '@grafana/ui';
import type { SeriesAnalysis } from '../model/analysis';
import { alignedPlotFrame, buildPlotFrames } from '../model/plotFrames';
import { record, timed } from '../perf';
import type { AnomalyLayers, AnomalyPanelOptions } from '../types';
import { AnomalyTooltip } from './AnomalyTooltip';
import { drawOverlays, type Overlays } from './overlays';

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

interface Props {
  /** The panel's time range (widened here to show a forecast that ends after it), time zone, width and options. */
  panel: Pick<PanelProps<AnomalyPanelOptions>, 'timeRange' | 'timeZone' | 'width' | 'options'>;
  analyses: SeriesAnalysis[];
  layers: AnomalyLayers;
  /** The score above which a step is anomalous. */
  threshold: number;
  /** What the panel leaves the graph. */
  height: number;
}

/**
 * The graph: each series with its band, score and forecast as Grafana's TimeSeries draws them, the
 * anomaly ranges and predicted crossings drawn over it, and a tooltip that explains the step hovered.
 */
export function AnomalyPlot({ panel, analyses, layers, threshold, height }: Props) {
  const { timeRange, timeZone, width, options } = panel;
  const theme = useTheme2();
  const maxPoints = plotPointsFor(width);
  const { frames, colors, structureKey } = useMemo(
    () => timed('frames', () => buildPlotFrames(analyses, layers, threshold, theme, maxPoints)),
    [analyses, layers, threshold, theme, maxPoints]
  );
  // Same fields and settings, new values: TimeSeries updates uPlot's data instead of rebuilding the plot.
  const structureRev = useMemo(() => revisionOf(structureKey), [structureKey]);

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

  return (
    <TimeSeries
      frames={frames}
      preparePlotFrame={alignedPlotFrame}
      structureRev={structureRev}
      timeRange={plotRange}
      timeZone={timeZone}
      width={width}
      height={height}
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
              colors={colors}
              analyses={analyses}
              showForecast={layers.forecast}
              timeZone={timeZone}
            />
          )}
        />
      )}
    </TimeSeries>
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
