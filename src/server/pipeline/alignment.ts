import type { WatchConfig } from '../config/schema';
import { labelKey } from '../prometheus/resilient';
import type { RangeSeries } from '../prometheus/types';
import type { SignalSpec } from './signal';
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
  baseThreshold: number,
  seriesTargets: SeriesTargets
): AlignedChunk {
  const targets = new Map<string, AlignedTarget>();
  const seriesBySignal = new Map<string, number>();
  let series = 0;
  for (const [signal, list] of results) {
    seriesBySignal.set(signal, list.filter((s) => s.timestamps.length > 0).length);
    // One spec per query, shared by its signals in every target (nothing changes a spec).
    const spec: SignalSpec = { name: signal, kind: signalKind(watch, signal), limits: signalLimits(watch, signal) };
    for (const s of list) {
      if (s.timestamps.length === 0) {
        continue;
      }
      series++;
      const { id, labels } = seriesTargets.of(s.labels);
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
      const index = target.signalIndex(
        taken ? { ...spec, name: `${signal}{${labelKey(extraLabels(s.labels, watch.target))}}` } : spec
      );
      cursors.push({ signal: index, timestamps: s.timestamps, values: s.values, i: 0 });
    }
  }
  for (const a of targets.values()) {
    a.values = new Float64Array(a.target.signals.length);
  }
  seriesTargets.settle();
  const absent: AlignedTarget[] = [];
  for (const target of known.values()) {
    if (!targets.has(target.id) && !Number.isNaN(target.lastAt)) {
      absent.push({ target, cursors: [], values: new Float64Array(target.signals.length).fill(NaN) });
    }
  }
  return { targets, absent, series, seriesBySignal };
}

/**
 * The target of a series by the values of its target labels, kept from one answer to the next: a
 * watch's series come back every cycle, and building each one's target labels and id again (keys
 * sorted, values quoted, joined) cost more per cycle than aligning it. Holds the series of the
 * last answer and of the one being read, no more.
 */
export class SeriesTargets {
  private last = new Map<string, { id: string; labels: Record<string, string> }>();
  private next = new Map<string, { id: string; labels: Record<string, string> }>();

  constructor(private readonly watch: WatchConfig) {}

  of(seriesLabels: Record<string, string>): { id: string; labels: Record<string, string> } {
    const names = this.watch.target;
    // One label: its value is the key; more: each value prefixed with its length, so no two tuples meet.
    const key =
      names.length === 1
        ? (seriesLabels[names[0]] ?? '')
        : names.map((n) => `${(seriesLabels[n] ?? '').length}:${seriesLabels[n] ?? ''}`).join('');
    let found = this.next.get(key) ?? this.last.get(key);
    if (!found) {
      const labels = targetLabels(this.watch, seriesLabels);
      found = { id: targetId(this.watch.name, labels), labels };
    }
    this.next.set(key, found);
    return found;
  }

  /** The answer is aligned: series it did not have are dropped from the next one's. */
  settle(): void {
    this.last = this.next;
    this.next = new Map();
  }
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
