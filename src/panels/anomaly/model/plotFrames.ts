import {
  FieldColorModeId,
  FieldType,
  getDisplayProcessor,
  getFieldSeriesColor,
  ThresholdsMode,
  type DataFrame,
  type Field,
  type FieldConfig,
  type GrafanaTheme2,
} from '@grafana/data';
import { AxisPlacement, GraphThresholdsStyleMode, type GraphFieldConfig } from '@grafana/schema';
import type { AnomalyLayers } from '../types';
import type { SeriesAnalysis } from './analysis';

/** What a plotted field shows, so the tooltip can read the aligned data back by field name. */
export type FieldRole = 'value' | 'upper' | 'lower' | 'score' | 'forecast' | 'forecastUpper' | 'forecastLower';

export interface PlotFrames {
  frames: DataFrame[];
  /** Display name of each plotted field → which analysis and what it shows. */
  roles: Map<string, { index: number; role: FieldRole }>;
  /** Series colours, resolved from the theme, by analysis index. */
  colors: string[];
}

const SCORE_AXIS_LABEL = 'Anomaly score';

/**
 * One frame per series (value, band, score) and one per forecast, in the shape Grafana's
 * TimeSeries expects: bands are `fillBelowTo` pairs, the score has its own right-hand axis, the
 * limit is a dashed threshold line. Derived fields take the series' colour, unit and display
 * processor so they share its axis and read in its unit.
 */
export function buildPlotFrames(analyses: SeriesAnalysis[], layers: AnomalyLayers, threshold: number, theme: GrafanaTheme2): PlotFrames {
  const roles: PlotFrames['roles'] = new Map();
  const colors: string[] = [];
  const frames: DataFrame[] = [];
  const forecastFrames: DataFrame[] = [];
  const limit = layers.forecast ? analyses.find((a) => a.forecast?.crossing)?.forecast?.crossing : undefined;
  const clamp = layers.forecast || layers.band ? visibleRange(analyses, limit?.limit) : undefined;

  analyses.forEach((a, index) => {
    const { series } = a;
    const color = seriesColor(series.field, index, theme);
    colors.push(color);
    const scale = valueScaleConfig(series.field, limit);
    const derived = (name: string, role: FieldRole, values: ArrayLike<number>, custom: GraphFieldConfig, config: FieldConfig = scale): Field => {
      roles.set(name, { index, role });
      const field: Field = {
        name,
        type: FieldType.number,
        values: toPlotValues(values),
        display: series.field.display,
        config: {
          ...config,
          displayName: name,
          color: { mode: FieldColorModeId.Fixed, fixedColor: color },
          custom: { ...config.custom, hideFrom: { legend: true, tooltip: true, viz: false }, ...custom },
        },
      };
      // The score's axis is its own (0–1), so it formats with its own processor, not the series' unit.
      if (role === 'score') {
        field.display = getDisplayProcessor({ field, theme });
      }
      return field;
    };

    roles.set(series.name, { index, role: 'value' });
    const fields: Field[] = [
      { name: 'Time', type: FieldType.time, values: Array.from(series.time), config: {} },
      {
        ...series.field,
        config: {
          ...series.field.config,
          ...scale,
          displayName: series.name,
          color: { mode: FieldColorModeId.Fixed, fixedColor: color },
          ...(limit && index === 0 ? limitThreshold(limit.limit) : {}),
          custom: {
            ...scale.custom,
            lineWidth: 1,
            fillOpacity: 0,
            ...(limit && index === 0 ? { thresholdsStyle: { mode: GraphThresholdsStyleMode.Dashed } } : {}),
          },
        },
      },
    ];
    if (layers.band) {
      fields.push(
        derived(`${series.name} · upper`, 'upper', clamped(a.upper, clamp), { lineWidth: 0, fillOpacity: 15, fillBelowTo: `${series.name} · lower` }),
        derived(`${series.name} · lower`, 'lower', clamped(a.lower, clamp), { lineWidth: 0, fillOpacity: 0 })
      );
    }
    if (layers.score) {
      const scoreConfig: FieldConfig<GraphFieldConfig> = {
        min: 0,
        max: 1,
        decimals: 2,
        custom: { axisPlacement: AxisPlacement.Right, axisLabel: SCORE_AXIS_LABEL, axisSoftMin: 0, axisSoftMax: 1 },
        // One dashed line at the threshold is enough, not one per series.
        ...(index === 0 ? scoreThreshold(threshold) : {}),
      };
      fields.push(
        derived(
          `${series.name} · score`,
          'score',
          a.score,
          { lineWidth: 1, fillOpacity: 8, ...(index === 0 ? { thresholdsStyle: { mode: GraphThresholdsStyleMode.Dashed } } : {}) },
          scoreConfig
        )
      );
    }
    frames.push({ name: series.name, refId: series.field.name, length: series.time.length, fields });

    const path = layers.forecast ? a.forecast?.path : undefined;
    if (path) {
      const name = `${series.name} · forecast`;
      forecastFrames.push({
        name,
        length: path.time.length,
        fields: [
          { name: 'Time', type: FieldType.time, values: Array.from(path.time), config: {} },
          derived(name, 'forecast', path.value, { lineWidth: 1, lineStyle: { fill: 'dash', dash: [6, 4] } }),
          derived(`${name} upper`, 'forecastUpper', clamped(path.upper, clamp), { lineWidth: 0, fillOpacity: 10, fillBelowTo: `${name} lower` }),
          derived(`${name} lower`, 'forecastLower', clamped(path.lower, clamp), { lineWidth: 0, fillOpacity: 0 }),
        ],
      });
    }
  });
  return { frames: [...frames, ...forecastFrames], roles, colors };
}

/**
 * Fields drawn on a series' axis must produce the same scale key (unit, min/max, soft range,
 * placement, label), so they carry the same settings; the soft range keeps the limit in view.
 */
function valueScaleConfig(field: Field, limit?: { limit: number; direction: 'above' | 'below' }): FieldConfig<GraphFieldConfig> {
  const custom: GraphFieldConfig = { ...(field.config.custom as GraphFieldConfig | undefined) };
  delete custom.hideFrom;
  delete custom.fillBelowTo;
  if (limit) {
    if (limit.direction === 'above') {
      custom.axisSoftMax = limit.limit;
    } else {
      custom.axisSoftMin = limit.limit;
    }
  }
  return { unit: field.config.unit, min: field.config.min, max: field.config.max, decimals: field.config.decimals, custom };
}

function limitThreshold(value: number): Partial<FieldConfig> {
  return { thresholds: { mode: ThresholdsMode.Absolute, steps: [{ value: -Infinity, color: 'transparent' }, { value, color: 'red' }] } };
}

function scoreThreshold(value: number): Partial<FieldConfig> {
  return { thresholds: { mode: ThresholdsMode.Absolute, steps: [{ value: -Infinity, color: 'transparent' }, { value, color: 'orange' }] } };
}

/** The series' own colour (its field config, or the classic palette by position), resolved by the theme. */
function seriesColor(field: Field, index: number, theme: GrafanaTheme2): string {
  const withMode: Field = {
    ...field,
    config: { ...field.config, color: field.config.color ?? { mode: FieldColorModeId.PaletteClassic } },
    state: { ...field.state, seriesIndex: field.state?.seriesIndex ?? index },
  };
  return getFieldSeriesColor(withMode, theme).color;
}

/**
 * The series' own range and the limit, with some margin: a forecast range hours ahead, or a band
 * while the detector is still learning, can be far wider than the data, and must not squash the
 * series into a line by stretching the axis.
 */
function visibleRange(analyses: SeriesAnalysis[], limit?: number): [number, number] {
  let lo = limit ?? Infinity;
  let hi = limit ?? -Infinity;
  for (const a of analyses) {
    for (const v of a.series.values) {
      if (v < lo) {
        lo = v;
      }
      if (v > hi) {
        hi = v;
      }
    }
  }
  const margin = 0.1 * (hi - lo || Math.abs(hi) || 1);
  return [lo - margin, hi + margin];
}

function clamped(values: Float64Array, range?: [number, number]): Float64Array {
  return range ? values.map((v) => Math.min(range[1], Math.max(range[0], v))) : values;
}

/** uPlot draws a gap at null; NaN would break the path. */
function toPlotValues(values: ArrayLike<number>): Array<number | null> {
  const out = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = Number.isFinite(v) ? v : null;
  }
  return out;
}
