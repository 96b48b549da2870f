import { NO_NUMBERS } from '../../detection/shared/arrays';
import type { WatchConfig } from '../config/schema';
import { labelKey } from '../prometheus/resilient';
import type { RangeSeries } from '../prometheus/types';
import { ITEMS_A_LOOK, type LoopTurns } from './loopTurns';
import type { SignalSpec } from './signal';
import { TargetModel, type TargetSettings } from './targetModel';
import { kubernetesObject, ownLabels, signalKind, signalLimits, targetId, targetLabels } from './targets';

/** The targets of an answer with their values at one step, as peer groups and absences read them. */
export interface StepValues {
  /** The answer's targets (in the order their first series came), then those seen before without any series in it. */
  readonly targets: readonly TargetModel[];
  /** targets[0, present) have series in the answer. */
  readonly present: number;
  /** The value of targets[i]'s signal k at the step; NaN: no sample. */
  value(i: number, k: number): number;
}

/** What `AnswerAlignment.align` needs to create the targets an answer shows for the first time. */
export interface AlignmentDeps {
  watch: WatchConfig;
  /** The watch's targets: new ones are added. */
  known: Map<string, TargetModel>;
  settings: TargetSettings;
  baseThreshold: number;
}

/**
 * A watch's answers aligned step by step into buffers kept from one answer to the next. At 30,000
 * series an answer is one step, and an object graph per series (a record, cursors, a values array)
 * lived through the step's scoring, outlived the young generation and was promoted: the replay's
 * peak grew by it (issue 16). Here an answer costs a few arrays a watch: a slot per target, its
 * signals' values side by side in one Float64Array, each series' slot and read position in Int32Arrays.
 */
export class AnswerAlignment implements StepValues {
  private readonly slots: TargetModel[] = [];
  /** Slots [0, present) have series in the answer; the rest are targets seen before without any. */
  present = 0;
  /** Series with samples in the answer. */
  series = 0;
  /** Series with samples per query in the last answer, for the line logged after the first cycle. */
  readonly seriesBySignal = new Map<string, number>();
  /** Where each slot's values start in `values`; slot i holds values[offsets[i] + k] for its signal k. */
  private offsets = new Int32Array(64);
  private values = new Float64Array(64);
  /** The query (1-based, in the answer's order) whose plain signal a slot's series fed last: that query's next series is another signal. */
  private plainQuery = new Int32Array(64);
  /** Per series with samples: its place in `values` (its slot and signal, until the offsets are known), its read position. */
  private place = new Int32Array(64);
  private signalOf = new Int32Array(64);
  private cursor = new Int32Array(64);
  private readonly times: Float64Array[] = [];
  private readonly samples: Float64Array[] = [];
  /** Arrays of a slot's width handed to TargetModel.step, one per width. */
  private readonly scratch: Float64Array[] = [];
  private readonly seriesTargets: SeriesTargets;

  constructor(private readonly deps: AlignmentDeps) {
    this.seriesTargets = new SeriesTargets(deps);
  }

  get targets(): readonly TargetModel[] {
    return this.slots;
  }

  /**
   * Takes the answer's series (creating the targets seen for the first time), gives each series
   * the index of its signal in its target, and adds the targets seen before that have no series
   * in it: each of their steps has no sample (vanished.ts says why). Gives the event loop `turns`
   * (creating a fleet's targets from its first answer takes seconds).
   */
  async align(results: Map<string, RangeSeries[]>, turns: LoopTurns): Promise<void> {
    const { watch, known } = this.deps;
    const slots = this.slots;
    slots.length = 0;
    let series = 0;
    let query = 0;
    for (const [signal, list] of results) {
      query++;
      let withSamples = 0;
      // One spec per query, shared by its signals in every target (nothing changes a spec).
      const spec: SignalSpec = { name: signal, kind: signalKind(watch, signal), limits: signalLimits(watch, signal) };
      const ownSignals = `${signal}{`;
      for (const s of list) {
        if (s.timestamps.length === 0) {
          continue;
        }
        if (series % ITEMS_A_LOOK === ITEMS_A_LOOK - 1 && turns.due) {
          // Safe: cycles and retraining of this watch never interleave (WatchRunner.exclusive).
          await turns.give();
        }
        withSamples++;
        const target = this.seriesTargets.of(s.labels);
        let slot = target.alignedSlot;
        if (slots[slot] !== target) {
          slot = slots.length;
          slots.push(target);
          target.alignedSlot = slot;
          this.plainQuery = fit(this.plainQuery, slot + 1);
          this.plainQuery[slot] = 0;
        }
        const k = this.signalFed(target, slot, query, spec, ownSignals, s.labels);
        this.place = fit(this.place, series + 1);
        this.signalOf = fit(this.signalOf, series + 1);
        this.place[series] = slot;
        this.signalOf[series] = k;
        this.times[series] = s.timestamps;
        this.samples[series] = s.values;
        series++;
      }
      this.seriesBySignal.set(signal, withSamples);
    }
    this.seriesTargets.settle();
    this.present = slots.length;
    for (const target of known.values()) {
      const slot = target.alignedSlot;
      if (!(slot < this.present && slots[slot] === target) && !Number.isNaN(target.lastAt)) {
        slots.push(target);
      }
    }
    this.layOut(series);
  }

  /**
   * The index in its target of the signal a series of query `query` feeds. Several series of one
   * query for one target (e.g. per container) are separate signals: the first the plain one
   * (`x`), each other one its own, named by its labels beyond the target's (`x{container="b"}`).
   * Once a target has such signals, a series that has one feeds it whatever came before it in the
   * answer: taken in order, a series missing for a step (a failed scrape) had the next one feed the
   * plain signal, and its values, another container's, opened a false anomaly on the target.
   */
  private signalFed(
    target: TargetModel,
    slot: number,
    query: number,
    spec: SignalSpec,
    ownSignals: string,
    labels: Record<string, string>
  ): number {
    const plainFed = this.plainQuery[slot] === query;
    // The common case, checked without building a name: the target's one series of this query.
    if (!plainFed && !target.signals.some((signal) => signal.spec.name.startsWith(ownSignals))) {
      this.plainQuery[slot] = query;
      return target.signalIndex(spec);
    }
    const name = `${ownSignals}${labelKey(extraLabels(labels, this.deps.watch.target))}}`;
    const own = target.signals.findIndex((signal) => signal.spec.name === name);
    if (own >= 0) {
      return own;
    }
    if (!plainFed) {
      this.plainQuery[slot] = query;
      return target.signalIndex(spec);
    }
    return target.signalIndex({ ...spec, name });
  }

  /** Each slot's place in `values` (its target's signals, known now), and each series' place there. */
  private layOut(series: number): void {
    const slots = this.slots;
    this.offsets = fit(this.offsets, slots.length + 1);
    let end = 0;
    for (let i = 0; i < slots.length; i++) {
      this.offsets[i] = end;
      end += slots[i].signals.length;
    }
    this.offsets[slots.length] = end;
    this.values = fitValues(this.values, end);
    this.cursor = fit(this.cursor, series);
    for (let s = 0; s < series; s++) {
      this.place[s] = this.offsets[this.place[s]] + this.signalOf[s];
      this.cursor[s] = 0;
    }
    // The slots past this answer's series hold none, so the buffers keep no earlier answer alive.
    this.times.fill(NO_NUMBERS, series);
    this.samples.fill(NO_NUMBERS, series);
    this.series = series;
  }

  /** Moves every series to step t and fills the values (NaN: no sample at t). Steps must increase. */
  step(t: number): void {
    const { values, place, cursor, times, samples } = this;
    values.fill(NaN, 0, this.offsets[this.slots.length]);
    for (let s = 0; s < this.series; s++) {
      const ts = times[s];
      let i = cursor[s];
      while (i < ts.length && ts[i] < t) {
        i++;
      }
      cursor[s] = i;
      if (i < ts.length && ts[i] === t) {
        values[place[s]] = samples[s][i];
      }
    }
  }

  value(i: number, k: number): number {
    return this.values[this.offsets[i] + k];
  }

  /** Slot i's values at the step, signal by signal, in an array reused for every slot of its width until the next call. */
  valuesOf(i: number): Float64Array {
    const start = this.offsets[i];
    const width = this.offsets[i + 1] - start;
    let out = this.scratch[width];
    if (!out) {
      out = new Float64Array(width);
      this.scratch[width] = out;
    }
    for (let k = 0; k < width; k++) {
      out[k] = this.values[start + k];
    }
    return out;
  }

  /** The answer is scored: its series' samples are let go (the next answer is read before it is aligned). */
  release(): void {
    this.times.fill(NO_NUMBERS);
    this.samples.fill(NO_NUMBERS);
  }
}

/** `a`, or a larger copy when it is shorter than n (doubling, so an answer of a new size grows it a few times). */
function fit(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  if (n <= a.length) {
    return a;
  }
  const grown = new Int32Array(Math.max(n, 2 * a.length));
  grown.set(a);
  return grown;
}

function fitValues(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  return n <= a.length ? a : new Float64Array(Math.max(n, 2 * a.length));
}

/**
 * The target of a series by the values of its target labels, kept from one answer to the next: a
 * watch's series come back every cycle, and building each one's target labels and id again (keys
 * sorted, values quoted, joined) cost more per cycle than aligning it. Holds the targets of the
 * last answer's series and of the one being read, no more: the targets themselves, not a record of
 * their id and labels each (40 B a series, issue 16).
 */
export class SeriesTargets {
  private last = new Map<string, TargetModel>();
  private next = new Map<string, TargetModel>();

  constructor(private readonly deps: AlignmentDeps) {}

  /** The watch's target of a series, created (and added to the known targets) on first sight. */
  of(seriesLabels: Record<string, string>): TargetModel {
    const { watch, known, settings, baseThreshold } = this.deps;
    const names = watch.target;
    // One label: its value is the key; more: each value prefixed with its length, so no two tuples meet.
    const key =
      names.length === 1
        ? (seriesLabels[names[0]] ?? '')
        : names.map((n) => `${(seriesLabels[n] ?? '').length}:${seriesLabels[n] ?? ''}`).join('');
    let target = this.next.get(key) ?? this.last.get(key);
    // A target forgotten (or replaced by a restored one) since: the watch's own is looked up again.
    if (!target || known.get(target.id) !== target) {
      const labels = ownLabels(targetLabels(watch, seriesLabels));
      const id = targetId(watch.name, labels);
      target = known.get(id);
      if (!target) {
        target = new TargetModel(id, watch.name, labels, kubernetesObject(watch, labels), settings, baseThreshold);
        known.set(id, target);
      }
    }
    // One label: the key kept is the target's own copy, not a slice of this answer's text (ownLabels).
    this.next.set(names.length === 1 ? target.labels[names[0]] : key, target);
    return target;
  }

  /** The answer is aligned: series it did not have are dropped from the next one's. */
  settle(): void {
    this.last = this.next;
    this.next = new Map();
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
