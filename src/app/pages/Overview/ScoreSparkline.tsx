import React, { useMemo } from 'react';
import { FieldColorModeId, FieldType, ThresholdsMode, type FieldConfig, type FieldSparkline } from '@grafana/data';
import { GraphGradientMode, type GraphFieldConfig } from '@grafana/schema';
import { Sparkline, useTheme2 } from '@grafana/ui';
import { testIds } from '../../testIds';
import { formatDuration } from './format';

const WIDTH = 120;
const HEIGHT = 24;

/**
 * A target's recent scores as a sparkline on a fixed 0–1 scale (rows compare at a glance), the line
 * turning to the error colour where it reaches the target's threshold.
 */
export function ScoreSparkline({
  id,
  scores,
  threshold,
}: {
  id: string;
  scores: Array<[number, number]>;
  threshold: number;
}) {
  const theme = useTheme2();
  const sparkline = useMemo<FieldSparkline>(
    () => ({
      x: { name: 'time', type: FieldType.time, values: scores.map((p) => p[0]), config: {} },
      // Sparkline reads the y range from the field's state (Grafana's table cell fills it): scores live in 0–1.
      y: {
        name: 'score',
        type: FieldType.number,
        values: scores.map((p) => p[1]),
        config: {},
        state: { range: { min: 0, max: 1, delta: 1 } },
      },
    }),
    [scores]
  );
  const config = useMemo<FieldConfig<GraphFieldConfig>>(
    () => ({
      min: 0,
      max: 1,
      color: { mode: FieldColorModeId.Thresholds },
      thresholds: {
        mode: ThresholdsMode.Absolute,
        steps: [
          { value: -Infinity, color: theme.colors.success.main },
          { value: threshold, color: theme.colors.error.main },
        ],
      },
      custom: { lineWidth: 1, fillOpacity: 15, gradientMode: GraphGradientMode.Scheme },
    }),
    [threshold, theme]
  );
  const span = scores[scores.length - 1][0] - scores[0][0];
  const max = Math.max(...scores.map((p) => p[1]));
  return (
    <div
      role="img"
      aria-label={`Score over the last ${formatDuration(span / 1000)}, max ${max.toFixed(2)} (threshold ${threshold.toFixed(2)})`}
      data-testid={testIds.overviewSparkline.cell(id)}
    >
      <Sparkline theme={theme} width={WIDTH} height={HEIGHT} sparkline={sparkline} config={config} />
    </div>
  );
}
