import React from 'react';
import { FieldType, type PanelProps } from '@grafana/data';
import { LegendDisplayMode } from '@grafana/schema';
import { PanelDataErrorView } from '@grafana/runtime';
import { TimeSeries } from '@grafana/ui';
import { testIds } from '../../app/testIds';
import type { AnomalyPanelOptions } from './types';

/** Draws the panel's query result as a native Grafana time series. */
export function AnomalyPanel({ data, width, height, timeRange, timeZone, options, fieldConfig, id }: PanelProps<AnomalyPanelOptions>) {
  const frames = data.series.filter(
    (frame) => frame.fields.some((f) => f.type === FieldType.time) && frame.fields.some((f) => f.type === FieldType.number)
  );
  if (frames.length === 0) {
    return (
      <div data-testid={testIds.anomalyPanel.noData}>
        <PanelDataErrorView panelId={id} fieldConfig={fieldConfig} data={data} needsTimeField needsNumberField />
      </div>
    );
  }
  return (
    <div data-testid={testIds.anomalyPanel.container}>
      <TimeSeries
        frames={frames}
        timeRange={timeRange}
        timeZone={timeZone}
        width={width}
        height={height}
        legend={{
          showLegend: options.showLegend,
          displayMode: LegendDisplayMode.List,
          placement: 'bottom',
          calcs: [],
        }}
      />
    </div>
  );
}
