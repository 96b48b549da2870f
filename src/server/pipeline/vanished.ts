import type { FailureModel, Severity } from '../../contract/pipeline';
import { AT_LIMIT_SECONDS, RAN_OUT_REASON } from '../../detection';
import type { WatchConfig } from '../config/schema';
import { PrometheusError, type RangeSeries } from '../prometheus/types';
import type { StepValues } from './alignment';
import type { RangeQuerier } from './query';
import type { TargetModel } from './targetModel';
import { targetId, targetLabels } from './targets';
import { promqlLabelName } from '../../contract/vocabulary';

/**
 * Why a target that was there has no sample at a step, as the watch sees it:
 * - `crash`: it alone went (Prometheus still lists it as a scrape target, or cannot say);
 * - `network_partition`: every target of its group went at once; this target carries the group's one episode;
 * - `partitioned`: the same, for the group's other members (no episode of their own);
 * - `removed`: it left Prometheus' service discovery (a scaled-down replica, a deleted pod): not a fault.
 */
export type Absence = 'crash' | 'network_partition' | 'partitioned' | 'removed';

/**
 * Prometheus' `up` per target of a watch over one chunk (`max by (<target labels>) (up)`).
 *
 * Why `up`: a stopped series looks the same in query_range whatever stopped it. A failed scrape
 * and a target leaving service discovery both end its series with a staleness marker (absent
 * from the next step on), and without markers (federation, remote write, backfill) the last value
 * is repeated for the 5-minute lookback, then absent. Only `up` tells them apart: a target still in
 * service discovery keeps its `up` series (0 while its scrapes fail), a removed one loses it.
 */
export class ScrapeHealth {
  private readonly byTarget = new Map<string, Float64Array>();
  /** Whether `up` names any target of the watch: if not (its labels do not carry the target labels), it cannot tell. */
  readonly informative: boolean;

  constructor(watch: WatchConfig, series: RangeSeries[], known: ReadonlyMap<string, TargetModel>) {
    for (const s of series) {
      const id = targetId(watch.name, targetLabels(watch, s.labels));
      if (s.timestamps.length > 0) {
        this.byTarget.set(id, s.timestamps);
      }
    }
    this.informative = [...this.byTarget.keys()].some((id) => known.has(id));
  }

  /** Whether Prometheus listed the target as a scrape target at step t (up 0 or 1). */
  listed(id: string, t: number): boolean {
    const ts = this.byTarget.get(id);
    if (!ts) {
      return false;
    }
    let lo = 0;
    let hi = ts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (ts[mid] === t) {
        return true;
      }
      if (ts[mid] < t) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return false;
  }
}

/**
 * Whether some target seen before lacks a sample at some step of the chunk [from, to] (then `up`
 * is worth asking): a series short of the chunk's steps, or targets seen before with no series
 * in the aligned answer (`absent` of them, counted by the alignment, whose targets are already
 * found: building a target id per series again here cost a tenth of a 10,000-series cycle).
 */
export function chunkHasGaps(
  results: Map<string, RangeSeries[]>,
  absent: number,
  watch: WatchConfig,
  from: number,
  to: number
): boolean {
  const steps = Math.floor((to - from) / watch.step) + 1;
  for (const list of results.values()) {
    for (const s of list) {
      if (s.timestamps.length < steps) {
        return true;
      }
    }
  }
  return absent > 0;
}

/**
 * The watch's scrape health over the aligned chunk, or null when nothing is missing in it or `up`
 * could not be read (a vanished target then counts as crashed: a fault must not hide behind a
 * failed look-up). `known` gives the targets seen before the chunk, read before `up` is asked.
 * `abort` ends the look-up in flight (the backend is stopping): it rejects with the signal's reason.
 */
export async function fetchScrapeHealth(
  querier: RangeQuerier,
  watch: WatchConfig,
  results: Map<string, RangeSeries[]>,
  absent: number,
  known: () => ReadonlyMap<string, TargetModel>,
  from: number,
  to: number,
  abort?: AbortSignal
): Promise<ScrapeHealth | null> {
  if (!chunkHasGaps(results, absent, watch, from, to)) {
    return null;
  }
  const before = known();
  try {
    const by = watch.target.map(promqlLabelName).join(', ');
    const series = await querier.queryRange(
      { query: `max by (${by}) (up)`, start: from, end: to, stepMs: watch.step },
      abort
    );
    return new ScrapeHealth(watch, series, before);
  } catch (err) {
    if (err instanceof PrometheusError) {
      return null;
    }
    throw err;
  }
}

/** Whether targets[i], seen before, has no sample of any signal at the step the values are aligned to. */
function vanished(step: StepValues, i: number): boolean {
  const target = step.targets[i];
  if (Number.isNaN(target.lastAt) || target.signals.length === 0) {
    return false;
  }
  for (let k = 0; k < target.signals.length; k++) {
    if (Number.isFinite(step.value(i, k))) {
      return false;
    }
  }
  return true;
}

/**
 * The groups whose members vanishing together points at what they share rather than at each of
 * them: the whole watch, and each scrape job when `job` is a target label (one job shares its
 * service discovery and its network path from Prometheus).
 */
function groupsOf(watch: WatchConfig, live: TargetModel[]): TargetModel[][] {
  const groups = [live];
  if (watch.target.includes('job')) {
    const byJob = new Map<string, TargetModel[]>();
    for (const target of live) {
      const job = target.labels.job ?? '';
      const members = byJob.get(job);
      if (members) {
        members.push(target);
      } else {
        byJob.set(job, [target]);
      }
    }
    groups.push(...byJob.values());
  }
  return groups;
}

/** Targets whose last samples lie this many steps apart or less stopped "at once". */
const TOGETHER_STEPS = 3;

/**
 * Why each target without any sample at step t (values aligned to t) has none. The targets of a
 * group that stopped at once (their last samples within TOGETHER_STEPS of the group's latest; two
 * or more) and are all gone point at what they share: a partition (the source or the network, not
 * each target), told once, by the member with the smallest id, unless `up` lost them all as well.
 * A target that vanishes alone crashed, unless `up` shows it left service discovery (removed on
 * purpose).
 */
export function absencesAt(
  watch: WatchConfig,
  step: StepValues,
  health: ScrapeHealth | null,
  t: number
): Map<string, Absence> {
  const out = new Map<string, Absence>();
  // One pass when nothing is missing: every step of a large fleet passes here.
  const gone = new Set<TargetModel>();
  for (let i = 0; i < step.targets.length; i++) {
    if (vanished(step, i)) {
      gone.add(step.targets[i]);
    }
  }
  if (gone.size >= 2) {
    const live = step.targets.filter((target) => !Number.isNaN(target.lastAt));
    for (const all of groupsOf(watch, live)) {
      let latest = -Infinity;
      for (const target of all) {
        latest = Math.max(latest, target.lastAt);
      }
      const group = all.filter((target) => target.lastAt >= latest - TOGETHER_STEPS * watch.step);
      if (group.length >= 2 && group.every((target) => gone.has(target))) {
        const ids = group.map((target) => target.id).sort();
        // All of them gone from `up` too: they left service discovery together (scaled to zero,
        // a job removed) or Prometheus was not scraping at all; neither is a fault of the targets.
        const left = health?.informative === true && ids.every((id) => !health.listed(id, t));
        for (const id of ids) {
          if (out.get(id) !== 'network_partition') {
            out.set(id, left ? 'removed' : id === ids[0] ? 'network_partition' : 'partitioned');
          }
        }
      }
    }
  }
  for (const target of gone) {
    const id = target.id;
    if (!out.has(id)) {
      out.set(id, health?.informative && !health.listed(id, t) ? 'removed' : 'crash');
    }
  }
  return out;
}

/**
 * What an alarm raised by stopped series says: crash of the target, partition of its group, or (a
 * limit's earliest plausible crossing `limitSeconds` away, or less) the resource it ran out of.
 */
export function stopVerdict(
  absence: Absence | undefined,
  stopped: string[],
  limitSeconds = Infinity
): { severity: Severity; failureModel: FailureModel; reasons: string[] } {
  if (absence !== 'network_partition' && limitSeconds <= AT_LIMIT_SECONDS) {
    return { severity: 'critical', failureModel: 'resource_exhaustion', reasons: [RAN_OUT_REASON] };
  }
  if (absence === 'network_partition') {
    return {
      severity: 'medium',
      failureModel: 'network_partition',
      reasons: [
        'every target of its group (the watch, or its scrape job) stopped reporting at once: the source or the network failed, not each target',
      ],
    };
  }
  return {
    severity: 'high',
    failureModel: 'crash',
    reasons: [
      absence === 'crash'
        ? 'the target stopped reporting while Prometheus still lists it (or cannot say): it crashed or is unreachable'
        : `series stopped while the target's others report: ${stopped.join(', ')}`,
    ],
  };
}
