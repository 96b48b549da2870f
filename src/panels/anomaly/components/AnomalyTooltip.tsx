import React from 'react';
import { css } from '@emotion/css';
import { formattedValueToString, type DataFrame, type GrafanaTheme2 } from '@grafana/data';
import type { TimeZone } from '@grafana/schema';
import { SeriesTable, useStyles2 } from '@grafana/ui';
import type { SeriesAnalysis } from '../model/analysis';
import { formatTime } from '../model/format';

export interface AnomalyTooltipProps {
  alignedFrame: DataFrame;
  /** Data index per uPlot series (index 0 is the x axis), as TooltipPlugin2 passes them. */
  dataIdxs: Array<number | null>;
  /** Series colours by analysis index. */
  colors: string[];
  analyses: SeriesAnalysis[];
  showForecast: boolean;
  timeZone: TimeZone;
}

/**
 * Per series at the hovered time: value, its band, its score, and whether it is inside an anomaly
 * (above or below the band). Values come from the analyses at full resolution, not from the
 * plotted frame, which keeps only each pixel's minimum and maximum.
 */
export function AnomalyTooltip({
  alignedFrame,
  dataIdxs,
  colors,
  analyses,
  showForecast,
  timeZone,
}: AnomalyTooltipProps) {
  const styles = useStyles2(getStyles);
  const xIdx = dataIdxs.find((i) => i != null) ?? null;
  const time: unknown = xIdx === null ? undefined : alignedFrame.fields[0].values[xIdx];
  if (typeof time !== 'number') {
    return null;
  }
  const series = analyses.flatMap((a, index) => {
    const display = a.series.field.display;
    const fmt = (v: number) => (display ? formattedValueToString(display(v)) : v.toPrecision(4));
    const parts: string[] = [];
    const i = indexAt(a.series.time, time);
    if (i >= 0) {
      const v = a.series.values[i];
      parts.push(Number.isFinite(v) ? fmt(v) : '–');
      if (Number.isFinite(a.lower[i]) && Number.isFinite(a.upper[i])) {
        parts.push(`band ${fmt(a.lower[i])} – ${fmt(a.upper[i])}`);
      }
      if (Number.isFinite(a.score[i])) {
        parts.push(`score ${a.score[i].toFixed(2)}`);
      }
    } else {
      const path = showForecast ? a.forecast?.path : undefined;
      const k = path ? indexAt(path.time, time) : -1;
      if (!path || k < 0) {
        return [];
      }
      parts.push(`forecast ${fmt(path.value[k])}`);
    }
    const range = a.ranges.find((r) => r.startMs <= time && time <= r.endMs);
    if (range) {
      parts.push(`${range.side.toUpperCase()} the band (${range.severity})`);
    }
    return [{ color: colors[index], label: a.series.name, value: parts.join(' · '), isActive: Boolean(range) }];
  });
  if (series.length === 0) {
    return null;
  }
  return (
    <div className={styles.tooltip}>
      <SeriesTable timestamp={formatTime(time, timeZone)} series={series} />
    </div>
  );
}

/** Index of the sample at exactly `t` in ascending `times`, or -1. */
function indexAt(times: Float64Array, t: number): number {
  let lo = 0;
  let hi = times.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < t) {
      lo = mid + 1;
    } else if (times[mid] > t) {
      hi = mid - 1;
    } else {
      return mid;
    }
  }
  return -1;
}

const getStyles = (theme: GrafanaTheme2) => ({
  tooltip: css({
    padding: theme.spacing(1),
    background: theme.colors.background.elevated,
    boxShadow: theme.shadows.z2,
    borderRadius: theme.shape.radius.default,
    maxWidth: 520,
  }),
});
