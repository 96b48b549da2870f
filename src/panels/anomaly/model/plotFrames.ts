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
import { bucketsOf, unionAxis, type UnionAxis } from './timeAxis';

/** What a plotted field shows, so the tooltip can read the aligned data back by field name. */
export type FieldRole = 'value' | 'upper' | 'lower' | 'score' | 'forecast' | 'forecastUpper' | 'forecastLower';

export interface PlotFrames {
  /** One frame, already aligned on a shared time axis: TimeSeries draws it as it is (see `alignedPlotFrame`). */
  frames: DataFrame[];
  /** Display name of each plotted field → which analysis (-1: all of them) and what it shows. */
  roles: Map<string, { index: number; role: FieldRole }>;
  /** Series colours, resolved from the theme, by analysis index. */
  colors: string[];
  /** Changes only when fields or their settings change, not with the values: new data then updates the plot in place. */
  structureKey: string;
}

const SCORE_AXIS_LABEL = 'Anomaly score';
/** With several series, one line (the highest score at each time) instead of one per series; the tooltip gives each. */
export const MAX_SCORE_NAME = 'Anomaly score (max)';

/**
 * Everything plotted, as ONE frame on the union of the series' and forecasts' timestamps, in the
 * shape Grafana's TimeSeries expects: bands are `fillBelowTo` pairs, the score has its own
 * right-hand axis, the limit is a dashed threshold line. Derived fields take the series' colour,
 * unit and display processor so they share its axis and read in its unit.
 *
 * With `maxPoints`, each field keeps only its minimum and maximum per time bucket (`maxPoints / 2`
 * buckets, in the order they occur), so spikes stay visible: about one bucket per pixel draws the
 * same picture as every sample. The tooltip reads exact values from the analyses, not from here.
 */
export function buildPlotFrames(
  analyses: SeriesAnalysis[],
  layers: AnomalyLayers,
  threshold: number,
  theme: GrafanaTheme2,
  maxPoints = Infinity
): PlotFrames {
  const roles: PlotFrames['roles'] = new Map();
  const colors: string[] = [];
  const limit = layers.forecast ? analyses.find((a) => a.forecast?.crossing)?.forecast?.crossing : undefined;
  const clamp = layers.forecast || layers.band ? visibleRange(analyses, limit?.limit) : undefined;
  const paths = analyses.map((a) => (layers.forecast ? a.forecast?.path : undefined));
  const axis = unionAxis([...analyses.map((a) => a.series.time), ...paths.flatMap((p) => (p ? [p.time] : []))]);
  const buckets = bucketsOf(axis.time, Math.max(1, Math.floor(maxPoints / 2)));

  const fields: Field[] = [];
  const later: Field[] = [];
  const add = (field: Field, to: Field[] = fields) => to.push(field);

  analyses.forEach((a, index) => {
    const { series } = a;
    const color = seriesColor(series.field, index, theme);
    colors.push(color);
    const scale = valueScaleConfig(series.field, limit);
    const rows = axis.rowsOf(series.time);
    const derived = (
      name: string,
      role: FieldRole,
      values: Array<number | null | undefined>,
      custom: GraphFieldConfig,
      config: FieldConfig = scale
    ): Field => {
      roles.set(name, { index, role });
      return {
        name,
        type: FieldType.number,
        values,
        display: series.field.display,
        config: {
          ...config,
          displayName: name,
          color: { mode: FieldColorModeId.Fixed, fixedColor: color },
          custom: { ...config.custom, hideFrom: { legend: true, tooltip: true, viz: false }, ...custom },
        },
      };
    };

    roles.set(series.name, { index, role: 'value' });
    add({
      ...series.field,
      values: buckets.reduce(series.values, rows),
      state: { ...series.field.state, calcs: undefined },
      config: {
        ...series.field.config,
        ...scale,
        displayName: series.name,
        color: { mode: FieldColorModeId.Fixed, fixedColor: color },
        ...(limit && index === 0 ? thresholdLine(limit.limit, 'red') : {}),
        custom: {
          ...scale.custom,
          lineWidth: 1,
          fillOpacity: 0,
          ...(limit && index === 0 ? { thresholdsStyle: { mode: GraphThresholdsStyleMode.Dashed } } : {}),
        },
      },
    });
    if (layers.band) {
      add(
        derived(`${series.name} · upper`, 'upper', buckets.reduce(a.upper, rows, clamp), {
          lineWidth: 0,
          fillOpacity: 15,
          fillBelowTo: `${series.name} · lower`,
        })
      );
      add(
        derived(`${series.name} · lower`, 'lower', buckets.reduce(a.lower, rows, clamp), {
          lineWidth: 0,
          fillOpacity: 0,
        })
      );
    }
    if (layers.score && analyses.length === 1) {
      const score = derived(
        `${series.name} · score`,
        'score',
        buckets.reduce(a.score, rows),
        { lineWidth: 1, fillOpacity: 8, thresholdsStyle: { mode: GraphThresholdsStyleMode.Dashed } },
        scoreConfig(threshold)
      );
      // The score's axis is its own (0–1), so it formats with its own processor, not the series' unit.
      score.display = getDisplayProcessor({ field: score, theme });
      add(score);
    }

    const path = paths[index];
    if (path) {
      const name = `${series.name} · forecast`;
      const pathRows = axis.rowsOf(path.time);
      add(
        derived(name, 'forecast', buckets.reduce(path.value, pathRows), {
          lineWidth: 1,
          lineStyle: { fill: 'dash', dash: [6, 4] },
        }),
        later
      );
      add(
        derived(`${name} upper`, 'forecastUpper', buckets.reduce(path.upper, pathRows, clamp), {
          lineWidth: 0,
          fillOpacity: 10,
          fillBelowTo: `${name} lower`,
        }),
        later
      );
      add(
        derived(`${name} lower`, 'forecastLower', buckets.reduce(path.lower, pathRows, clamp), {
          lineWidth: 0,
          fillOpacity: 0,
        }),
        later
      );
    }
  });

  if (layers.score && analyses.length > 1) {
    const score: Field = {
      name: MAX_SCORE_NAME,
      type: FieldType.number,
      values: buckets.reduce(...maxScore(analyses, axis)),
      config: {
        ...scoreConfig(threshold),
        displayName: MAX_SCORE_NAME,
        color: { mode: FieldColorModeId.Fixed, fixedColor: theme.colors.text.secondary },
        custom: {
          ...scoreConfig(threshold).custom,
          hideFrom: { legend: true, tooltip: true, viz: false },
          lineWidth: 1,
          fillOpacity: 8,
          thresholdsStyle: { mode: GraphThresholdsStyleMode.Dashed },
        },
      },
    };
    score.display = getDisplayProcessor({ field: score, theme });
    roles.set(MAX_SCORE_NAME, { index: -1, role: 'score' });
    fields.push(score);
  }

  const all: Field[] = [{ name: 'Time', type: FieldType.time, values: buckets.time, config: {} }, ...fields, ...later];
  all.forEach((f, fieldIndex) => {
    f.state = { ...f.state, origin: { frameIndex: 0, fieldIndex } };
  });
  const frame: DataFrame = {
    name: analyses.map((a) => a.series.name).join(', '),
    length: buckets.time.length,
    fields: all,
  };
  return { frames: [frame], roles, colors, structureKey: structureKeyOf(frame) };
}

/**
 * For TimeSeries' `preparePlotFrame`: the frame is already aligned, so Grafana's outer join (and
 * its null-threshold pass, a no-op for these fields) is skipped.
 */
export function alignedPlotFrame(frames: DataFrame[]): DataFrame | null {
  return frames[0] ?? null;
}

function scoreConfig(threshold: number): FieldConfig<GraphFieldConfig> {
  return {
    min: 0,
    max: 1,
    decimals: 2,
    custom: { axisPlacement: AxisPlacement.Right, axisLabel: SCORE_AXIS_LABEL, axisSoftMin: 0, axisSoftMax: 1 },
    // One dashed line at the threshold.
    ...thresholdLine(threshold, 'orange'),
  };
}

/** The highest score of any series at each time of the axis (NaN where none has one). */
function maxScore(analyses: SeriesAnalysis[], axis: UnionAxis): [Float64Array, Int32Array | null] {
  const out = new Float64Array(axis.time.length).fill(-Infinity);
  for (const a of analyses) {
    const rows = axis.rowsOf(a.series.time);
    const { score } = a;
    if (rows) {
      for (let i = 0; i < score.length; i++) {
        const v = score[i];
        if (v > out[rows[i]]) {
          out[rows[i]] = v;
        }
      }
    } else {
      for (let i = 0; i < score.length; i++) {
        const v = score[i];
        if (v > out[i]) {
          out[i] = v;
        }
      }
    }
  }
  // No score at this time in any series (NaN never wins a comparison): unknown.
  for (let i = 0; i < out.length; i++) {
    if (out[i] === -Infinity) {
      out[i] = NaN;
    }
  }
  return [out, null];
}

/** The frame's fields and their settings, without values or functions. */
function structureKeyOf(frame: DataFrame): string {
  return JSON.stringify(frame.fields.map((f) => [f.name, f.type, f.config]));
}

/**
 * Fields drawn on a series' axis must produce the same scale key (unit, min/max, soft range,
 * placement, label), so they carry the same settings; the soft range keeps the limit in view.
 */
function valueScaleConfig(
  field: Field,
  limit?: { limit: number; direction: 'above' | 'below' }
): FieldConfig<GraphFieldConfig> {
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
  return {
    unit: field.config.unit,
    min: field.config.min,
    max: field.config.max,
    decimals: field.config.decimals,
    custom,
  };
}

/** One dashed line at `value`, in `color`: the forecast's limit (red) or the score's threshold (orange). */
function thresholdLine(value: number, color: 'red' | 'orange'): Partial<FieldConfig> {
  return {
    thresholds: {
      mode: ThresholdsMode.Absolute,
      steps: [
        { value: -Infinity, color: 'transparent' },
        { value, color },
      ],
    },
  };
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
    const values = a.series.values;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
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
