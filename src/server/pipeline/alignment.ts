import type { WatchConfig } from '../config/schema';
import { labelKey } from '../prometheus/resilient';
import type { RangeSeries } from '../prometheus/types';
import { TargetModel, type TargetSettings } from './targetModel';
import { kubernetesObject, signalKind, signalLimits, targetId, targetLabels } from './targets';

interface SeriesCursor {
  signal: number;
  timestamps: Float64Array;
  values: Float64Array;
  i: number;
}

/** One target of a fetched chunk: its series, walked step by step, and the values at the current step. */
export interface AlignedTarget {
  target: TargetModel;
  cursors: SeriesCursor[];
  /** values[i] belongs to target.signals[i]; NaN where a signal has no sample at the step. */
  values: Float64Array;
}

/** A fetched chunk grouped by target, ready to be walked step by step. */
export interface AlignedChunk {
  targets: Map<string, AlignedTarget>;
  /** Targets seen before with no series in the chunk: each of their steps has no sample (vanished.ts says why). */
  absent: AlignedTarget[];
  /** Series with samples in the chunk. */
  series: number;
  /** Series with samples per query, for the line logged after the first cycle. */
  seriesBySignal: Map<string, number>;
}

/**
 * Groups the fetched series by target (creating the targets seen for the first time in `known`)
 * and gives each series the index of its signal in its target.
 */
export function alignChunk(
  watch: WatchConfig,
  results: Map<string, RangeSeries[]>,
  known: Map<string, TargetModel>,
  settings: TargetSettings,
  baseThreshold: number
): AlignedChunk {
  const targets = new Map<string, AlignedTarget>();
  const seriesBySignal = new Map<string, number>();
  let series = 0;
  for (const [signal, list] of results) {
    seriesBySignal.set(signal, list.filter((s) => s.timestamps.length > 0).length);
    for (const s of list) {
      if (s.timestamps.length === 0) {
        continue;
      }
      series++;
      const labels = targetLabels(watch, s.labels);
      const id = targetId(watch.name, labels);
      let aligned = targets.get(id);
      if (!aligned) {
        let target = known.get(id);
        if (!target) {
          target = new TargetModel(id, watch.name, labels, kubernetesObject(watch, labels), settings, baseThreshold);
          known.set(id, target);
        }
        aligned = { target, cursors: [], values: new Float64Array(0) };
        targets.set(id, aligned);
      }
      const { target, cursors } = aligned;
      // Several series of one query for one target (e.g. per container) become separate signals.
      const taken = cursors.some((c) => target.signals[c.signal].spec.name === signal);
      const name = taken ? `${signal}{${labelKey(extraLabels(s.labels, watch.target))}}` : signal;
      const index = target.signalIndex({
        name,
        kind: signalKind(watch, signal),
        limits: signalLimits(watch, signal),
      });
      cursors.push({ signal: index, timestamps: s.timestamps, values: s.values, i: 0 });
    }
  }
  for (const a of targets.values()) {
    a.values = new Float64Array(a.target.signals.length);
  }
  const absent: AlignedTarget[] = [];
  for (const target of known.values()) {
    if (!targets.has(target.id) && !Number.isNaN(target.lastAt)) {
      absent.push({ target, cursors: [], values: new Float64Array(target.signals.length).fill(NaN) });
    }
  }
  return { targets, absent, series, seriesBySignal };
}

/** Moves every target's cursors to step t and fills its values (NaN: no sample at t). Steps must increase. */
export function alignStep(targets: Iterable<AlignedTarget>, t: number): void {
  for (const a of targets) {
    a.values.fill(NaN);
    for (const c of a.cursors) {
      while (c.i < c.timestamps.length && c.timestamps[c.i] < t) {
        c.i++;
      }
      if (c.i < c.timestamps.length && c.timestamps[c.i] === t) {
        a.values[c.signal] = c.values[c.i];
      }
    }
  }
}

function extraLabels(labels: Record<string, string>, targetLabelNames: string[]): Record<string, string> {
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    if (!targetLabelNames.includes(k)) {
      extra[k] = v;
    }
  }
  return extra;
}
