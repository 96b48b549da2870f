import React from 'react';
import { css } from '@emotion/css';
import { formattedValueToString, type DataFrame, type GrafanaTheme2 } from '@grafana/data';
import type { TimeZone } from '@grafana/schema';
import { SeriesTable, useStyles2 } from '@grafana/ui';
import type { SeriesAnalysis } from '../model/analysis';
import { formatTime } from '../model/format';
import type { PlotFrames } from '../model/plotFrames';

export interface AnomalyTooltipProps {
  alignedFrame: DataFrame;
  /** Data index per uPlot series (index 0 is the x axis), as TooltipPlugin2 passes them. */
  dataIdxs: Array<number | null>;
  plot: PlotFrames;
  analyses: SeriesAnalysis[];
  timeZone: TimeZone;
}

/** Per series at the hovered time: value, its band, its score, and whether it is inside an anomaly (above or below the band). */
export function AnomalyTooltip({ alignedFrame, dataIdxs, plot, analyses, timeZone }: AnomalyTooltipProps) {
  const styles = useStyles2(getStyles);
  const xIdx = dataIdxs.find((i) => i != null) ?? null;
  if (xIdx === null) {
    return null;
  }
  const time = alignedFrame.fields[0].values[xIdx] as number;
  const rows = new Map<number, { value?: string; lower?: number; upper?: number; score?: number; forecast?: string }>();
  alignedFrame.fields.forEach((field, i) => {
    const idx = dataIdxs[i];
    const role = plot.roles.get(field.config.displayName ?? field.name);
    if (i === 0 || idx == null || !role) {
      return;
    }
    const v = field.values[idx] as number | null | undefined;
    if (v == null) {
      return;
    }
    const row = rows.get(role.index) ?? {};
    rows.set(role.index, row);
    const display = analyses[role.index].series.field.display;
    const text = display ? formattedValueToString(display(v)) : String(v);
    if (role.role === 'value') {
      row.value = text;
    } else if (role.role === 'forecast') {
      row.forecast = text;
    } else if (role.role === 'lower') {
      row.lower = v;
    } else if (role.role === 'upper') {
      row.upper = v;
    } else if (role.role === 'score') {
      row.score = v;
    }
  });
  const series = [...rows.entries()].map(([index, row]) => {
    const a = analyses[index];
    const display = a.series.field.display;
    const fmt = (v: number) => (display ? formattedValueToString(display(v)) : v.toPrecision(4));
    const range = a.ranges.find((r) => r.startMs <= time && time <= r.endMs);
    const parts = [row.value ?? (row.forecast ? `forecast ${row.forecast}` : '–')];
    if (row.lower !== undefined && row.upper !== undefined) {
      parts.push(`band ${fmt(row.lower)} – ${fmt(row.upper)}`);
    }
    if (row.score !== undefined) {
      parts.push(`score ${row.score.toFixed(2)}`);
    }
    if (range) {
      parts.push(`${range.side.toUpperCase()} the band (${range.severity})`);
    }
    return { color: plot.colors[index], label: a.series.name, value: parts.join(' · '), isActive: Boolean(range) };
  });
  return (
    <div className={styles.tooltip}>
      <SeriesTable timestamp={formatTime(time, timeZone)} series={series} />
    </div>
  );
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
