import { z } from 'zod';
import type {
  AnomaliesQuery,
  PredictResponse,
  Target,
  TargetDetail,
  TargetsQuery,
  WatchStatus,
} from '../../contract/pipeline';
import type { UnscoredReason, UnscoredTarget } from '../../contract/targetDetail';
import type { WatchConfig } from '../config/schema';
import { CursorError, decodeCursor, encodeCursor, timeIdKeySchema } from './store/cursor';
import { shareKey, type TargetOwnership } from './ownership';
import type { AnomalyPage, PipelineRepository } from './store/repository';
import type { SummaryPage } from './store/summaryTable';
import { listedOf, matchesFilters } from './targetOrder';
import type { TargetModel } from './targetModel';
import { watchIdentity } from './query';
import type { WatchRunner } from './watchRunner';

/** Why a pipeline request was refused, in words for the operator. */
export class PipelineError extends Error {
  constructor(
    readonly kind: 'not_found' | 'invalid',
    message: string
  ) {
    super(message);
    this.name = 'PipelineError';
  }
}

/** What a request naming an anomaly id nothing is stored under is told (its feedback, reading it). */
export const noAnomaly = (id: number) => `no anomaly with id ${id}`;

/** A targets page cursor: the watch and id of the page's last target. */
export const targetKeySchema = z.tuple([z.string(), z.string()]);

/** A watch whose source is not configured, with why and since when. */
export interface OffWatch {
  watch: WatchConfig;
  reason: string;
  since: number;
}

/** Runs a read that decodes a cursor; a bad cursor is the client's error. */
export function readingCursor<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof CursorError) {
      throw new PipelineError('invalid', err.message);
    }
    throw err;
  }
}

/**
 * A page of anomalies from the store; a cursor that is not the `next` of a page is refused before the
 * store is asked. The pipeline and the list workers (which hold only a repository) both read through it.
 */
export function readAnomalyPage(repo: PipelineRepository, q: Partial<AnomaliesQuery>): Promise<AnomalyPage> {
  const { cursor } = q;
  if (cursor !== undefined) {
    readingCursor(() => decodeCursor(cursor, timeIdKeySchema));
  }
  return repo.anomalyPage(q);
}

/** The target of that id and the runner of its watch, in whichever watch has it. */
export function findTarget(
  runners: readonly WatchRunner[],
  id: string
): { target: TargetModel; runner: WatchRunner } | undefined {
  for (const runner of runners) {
    const target = runner.targets.get(id);
    if (target) {
      return { target, runner };
    }
  }
  return undefined;
}

/**
 * A page of targets, by watch and then in the order each watch first saw them, the cursor of the
 * next page (null: this is the last) and how many the filters match. A cursor whose last target has
 * gone since is refused.
 */
export function targetPage(runners: readonly WatchRunner[], q: Partial<TargetsQuery>): SummaryPage {
  const limit = q.limit ?? 1000;
  const after = q.cursor === undefined ? undefined : readingCursor(() => decodeCursor(q.cursor!, targetKeySchema));
  if (after && !runners.some((r) => r.name === after[0] && r.targets.has(after[1]))) {
    throw new PipelineError('invalid', 'cursor: its last target is no longer watched; start again without a cursor');
  }
  const out: Target[] = [];
  let next: string | null = null;
  let total = 0;
  // Before the cursor's target: counted, not listed.
  let before = after !== undefined;
  for (const r of runners) {
    if (q.watch !== undefined && r.name !== q.watch) {
      continue;
    }
    for (const t of r.targets.values()) {
      // The cursor's own target was on the page before.
      const skipped = before;
      if (before && r.name === after![0] && t.id === after![1]) {
        before = false;
      }
      if (!matchesFilters(listedOf(t), q)) {
        continue;
      }
      total++;
      if (skipped) {
        continue;
      }
      if (out.length < limit) {
        out.push(listedTarget(t, r, q));
      } else if (next === null) {
        const last = out[out.length - 1];
        next = encodeCursor([last.watch, last.id]);
      }
    }
  }
  return { targets: out, next, total };
}

/** A target as a listing gives it: with its score history when the query asks for it. */
export function listedTarget(t: TargetModel, r: WatchRunner, q: Pick<Partial<TargetsQuery>, 'history'>): Target {
  return q.history === 'true' ? { ...toTarget(t, r), scores: t.scoreHistory() } : toTarget(t, r);
}

/** What /predict says of a target now. */
export function predictionOf(t: TargetModel): PredictResponse {
  return {
    target: t.id,
    score: t.score,
    threshold: t.threshold,
    anomalous: t.open !== null,
    severity: t.severity,
    failureModel: t.failureModel,
    // Left from the target's last step: a forecast kept through missed samples counts down.
    timeToFailureSeconds: t.ttfSecondsLeft,
    at: Number.isNaN(t.lastAt) ? null : t.lastAt,
  };
}

/** An off watch as the API lists it: degraded with an `unconfigured` error saying what to set. */
export function offWatchStatus({ watch, reason, since }: OffWatch): WatchStatus {
  return {
    ...watchIdentity(watch),
    source: 'none',
    targets: 0,
    series: 0,
    degraded: true,
    lastError: { kind: 'unconfigured', message: reason, at: since },
    lastProcessedAt: null,
    lastCycleAt: null,
    lastCycleSeconds: null,
  };
}

/** A target as the API lists it. */
export function toTarget(t: TargetModel, r: Pick<WatchRunner, 'isDegraded'>): Target {
  const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
  return {
    id: t.id,
    watch: t.watch,
    labels: t.labels,
    object: t.object,
    score: t.score,
    threshold: t.threshold,
    severity: t.severity,
    failureModel: t.failureModel,
    timeToFailure: t.ttf,
    ...(t.noForecast ? { noForecast: t.noForecast } : {}),
    ...(t.farLimit ? { farLimit: t.farLimit } : {}),
    openAnomalies: t.open ? 1 : 0,
    lastScoredAt: num(t.lastAt),
    learning: t.learning,
    learningProgress: t.learningProgress,
    learningSecondsLeft: t.learningSecondsLeft,
    faultsOnlySecondsLeft: t.faultsOnlySecondsLeft,
    degraded: r.isDegraded,
    signals: t.signals.map((s) => ({
      name: s.spec.name,
      value: num(s.value),
      expected: num(s.expected),
      lower: num(s.lower),
      upper: num(s.upper),
      score: s.score,
      direction: s.direction,
      lastSampleAt: num(s.lastAt),
    })),
  };
}

/** Where a target's detail is read from: the runners, the watches that are off, the store, and the share of this replica. */
export interface TargetSources {
  runners: readonly WatchRunner[];
  off: readonly OffWatch[];
  repo: PipelineRepository;
  /** Absent: one process scores every target. */
  ownership?: Pick<TargetOwnership, 'identity' | 'owns'>;
}

/**
 * A target's detail. One another replica scores is read as that replica last listed it; its recent
 * steps are in that replica's memory only, so its series are empty here. One no runner scores (its
 * watch removed or edited, its series gone) is served from what the store keeps of it, saying why:
 * an operator following an old link lands on its history. Undefined only when nothing is kept.
 */
export async function targetDetail(sources: TargetSources, id: string): Promise<TargetDetail | undefined> {
  const { runners, repo, ownership } = sources;
  const found = findTarget(runners, id);
  const summary = !found && ownership ? await repo.targetSummary(id) : undefined;
  const listed = found
    ? { ...toTarget(found.target, found.runner), ...(ownership ? { owner: ownership.identity } : {}) }
    : // A removed watch leaves the summaries its replica wrote: only a running watch's are scored now.
      summary && runners.some((r) => r.name === summary.watch)
      ? summary
      : undefined;
  const [anomalies, predictions, models] = await Promise.all([
    repo.anomalies({ target: id, limit: 100 }),
    repo.predictions({ target: id, limit: 100 }),
    repo.models({ target: id, status: 'active', limit: 1 }),
  ]);
  const history = { anomalies, predictions, model: models[0] ?? null };
  if (listed) {
    return { scored: true, target: listed, series: found?.target.recent() ?? {}, ...history };
  }
  const target = await unscoredTarget(sources, id, history);
  return target && { scored: false, target, series: {}, ...history };
}

/** What the store keeps of a target no runner scores, and why none does; undefined when nothing is kept. */
async function unscoredTarget(
  { runners, off, repo, ownership }: TargetSources,
  id: string,
  history: Pick<TargetDetail, 'anomalies' | 'predictions' | 'model'>
): Promise<UnscoredTarget | undefined> {
  const record = await repo.targetRecord(id);
  const [latest] = history.anomalies;
  const watch =
    record?.watch ??
    latest?.watch ??
    history.predictions[0]?.watch ??
    // Any model, not only an active one: a failed training is a record too.
    (history.model ?? (await repo.models({ target: id, limit: 1 }))[0])?.watch;
  if (watch === undefined) {
    return undefined;
  }
  const labels = record?.labels ?? latest?.labels ?? null;
  const runner = runners.find((r) => r.name === watch);
  // Which share the target falls in; without its labels, only a watch without peer groups tells (the id is the key).
  const share = runner && (labels ? shareKey(runner.watch, labels) : runner.watch.peers ? undefined : id);
  const offWatch = off.find((o) => o.watch.name === watch);
  const [reason, message]: [UnscoredReason, string] = !runner
    ? [
        'watch_not_running',
        offWatch
          ? `Its watch "${watch}" is off: ${offWatch.reason}`
          : `Its watch "${watch}" does not run: it was removed or renamed, or its definition changed its name`,
      ]
    : ownership && share !== undefined && !ownership.owns(share)
      ? [
          'other_replica',
          `Another replica scores the targets of watch "${watch}" like this one, and has not listed it: its series may be gone, or that replica is still catching up`,
        ]
      : [
          'series_gone',
          `Watch "${watch}" runs without it: its series stopped and it was forgotten, or its labels changed`,
        ];
  return { id, watch, labels, lastSeenAt: record?.lastSampleAt ?? latest?.end ?? null, reason, message };
}
