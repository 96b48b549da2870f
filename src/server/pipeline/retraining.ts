import { messageOf } from '../../utils/messageOf';
import { RECOMMENDED_THRESHOLD } from '../../detection';
import { MAX_PAGE_LIMIT, type Anomaly, type ModelVersion, type RetrainResponse } from '../../contract/pipeline';
import { promqlLabelName } from '../../contract/vocabulary';
import type { Clock } from '../clock';
import type { WatchConfig } from '../config/schema';
import type { RangeSeries } from '../prometheus/types';
import type { ModelFence } from './retrainClaims';
import type { RetrainDeadline } from './retrainDeadline';
import type { PipelineRepository } from './store/repository';
import { BenignMeasure, type BenignExcursion } from './benignExcursions';
import { ITEMS_A_LOOK, LoopTurns } from './loopTurns';
import { freshModels, type TargetModel, type TargetSettings } from './targetModel';
import { readInAnswers } from './query';
import { scoresMissing } from './signal';
import { targetId, targetLabels } from './targets';

export interface TrainingDeps {
  watch: WatchConfig;
  repo: PipelineRepository;
  settings: TargetSettings;
  clock: Pick<Clock, 'now' | 'elapsed'>;
  /** Steps the next fetch may cover: it reads every series of the watch, so sized as a catch-up's answers are. */
  answerSteps(): number;
  /** How many targets the runner holds: retraining fewer reads only theirs (narrowedWatch). */
  held: number;
  /**
   * The steps [from, to] of the watch's queries, or of `narrowed`'s (the same watch, its queries
   * narrowed); `abort` ends the queries in flight (fetchChunk).
   */
  fetch: (from: number, to: number, narrowed?: WatchConfig, abort?: AbortSignal) => Promise<Map<string, RangeSeries[]>>;
  /** Past it a retraining is abandoned before it stores anything (retrainDeadline.ts). */
  deadline?: RetrainDeadline;
}

/**
 * Up to this many targets retrained are read alone; more are read with the watch's queries as they
 * are, whose answers the retraining filters (each target adds a term to every query).
 */
export const MAX_NARROWED_TARGETS = 50;

/** A PromQL string literal (Go's escapes, which JSON's are) holding `text`. */
const promqlString = (text: string): string => JSON.stringify(text);

/**
 * The watch with each query narrowed to the series of these targets, or the watch itself when its
 * target labels tell no targets apart. A target is the values of the watch's target labels on the
 * query's answer (targets.ts), which PromQL can match on whatever the query computes:
 * `(<query>) and on(<labels>) <the targets' label sets>`, each set made by label_replace on
 * vector(1) (an empty value sets no label, as a missing label reads as empty); a label name that is
 * not classic is quoted, as Prometheus 3 reads it. The answer is then
 * exactly the chosen targets' series of the query as written: matchers put inside the query's
 * selectors instead would change a query whose value for one target reads others' series.
 */
export function narrowedWatch(watch: WatchConfig, targets: ReadonlyArray<Record<string, string>>): WatchConfig {
  if (watch.target.length === 0 || targets.length === 0) {
    return watch;
  }
  const sets = targets.map((labels) =>
    watch.target.reduce(
      // `$` in a replacement names a capture group: `$$` is the dollar itself.
      (inner, name) =>
        `label_replace(${inner}, ${promqlString(name)}, ${promqlString((labels[name] ?? '').replaceAll('$', () => '$$'))}, "", "")`,
      'vector(1)'
    )
  );
  const on = `on(${watch.target.map(promqlLabelName).join(', ')})`;
  const queries = Object.fromEntries(
    Object.entries(watch.queries).map(([signal, query]) => [signal, `(${query}) and ${on} (${sets.join(' or ')})`])
  );
  return { ...watch, queries };
}

export interface RetrainResult extends RetrainResponse {
  /** The targets whose new models were swapped in, to checkpoint. */
  retrained: TargetModel[];
}

/** The threshold a target of this watch starts with. */
export function baseThreshold(watch: WatchConfig): number {
  return watch.threshold ?? RECOMMENDED_THRESHOLD;
}

/** Repeated false positives raise a target's threshold by this much each, up to MAX_THRESHOLD. */
const FALSE_POSITIVE_STEP = 0.05;
const MAX_THRESHOLD = 0.9;

/**
 * The threshold a target retrains with: its watch's (`base`), raised for each false positive after
 * the first, up to MAX_THRESHOLD; never below `base` (a watch may ask for more than MAX_THRESHOLD).
 */
export function retrainedThreshold(base: number, falsePositives: number): number {
  return falsePositives >= 2
    ? Math.max(base, Math.min(MAX_THRESHOLD, base + FALSE_POSITIVE_STEP * (falsePositives - 1)))
    : base;
}

/** What a model version records of how it was trained. */
export function modelParams(
  watch: WatchConfig,
  settings: TargetSettings,
  excluded: Array<[number, number]>,
  benign: readonly BenignExcursion[] = []
): Record<string, unknown> {
  return {
    detector: settings.detector,
    probationSteps: settings.probation,
    closeAfterSteps: settings.closeAfter,
    stepMs: settings.stepMs,
    // What runs (signal.ts freshModels): the crossing forecaster, for the signals with a limit only.
    forecaster: Object.keys(watch.queries).some((signal) => watch.limits[signal] !== undefined)
      ? { method: 'crossing', horizonSteps: settings.horizonSteps, limits: watch.limits }
      : null,
    excludedWindows: excluded,
    benignExcursions: benign,
  };
}

/** Records the first model version of targets that have learned from samples but have none yet; returns them. */
export async function recordInitialModels(
  deps: Omit<TrainingDeps, 'fetch' | 'answerSteps' | 'held' | 'deadline'>,
  targets: TargetModel[]
): Promise<TargetModel[]> {
  const { watch, repo, settings, clock } = deps;
  const recorded: TargetModel[] = [];
  const turns = new LoopTurns(() => clock.elapsed());
  for (const t of targets) {
    // A fresh install records a fleet's first versions at once (~45 µs each in SQLite, whose
    // answers resolve without a turn of the loop): the API and /healthz answer meanwhile.
    if (turns.due) {
      await turns.give();
    }
    if (t.modelVersion === 0 && t.samples > 0) {
      t.modelVersion = await repo.addModel({
        watch: watch.name,
        targetId: t.id,
        status: 'active',
        reason: 'initial',
        trainedAt: clock.now(),
        rangeStart: t.firstAt,
        rangeEnd: t.lastAt,
        samples: t.samples,
        params: modelParams(watch, settings, []),
        threshold: t.threshold,
        feedback: { falsePositive: 0, confirmed: 0 },
      });
      recorded.push(t);
    }
  }
  return recorded;
}

/** What operators (and verification) said of a target's anomalies, as its retraining uses it. */
interface TargetFeedback {
  confirmed: Array<[number, number]>;
  /** Its false-positive anomalies inside the history, newest first. */
  falsePositives: Anomaly[];
}

/**
 * The feedback a target retrains with, or why it cannot be read (that target's retraining fails,
 * not its watch's). Only false positives inside the history replayed count: a model learns from that
 * history alone, so an older one says nothing about what it learned; counted for ever, a target
 * marked often a year ago would keep a raised threshold (and its real alarms late) for good, and its
 * excursions cannot be measured without the samples.
 */
async function feedbackOf(
  repo: PipelineRepository,
  id: string,
  start: number,
  end: number
): Promise<TargetFeedback | { error: string }> {
  try {
    const labelled = await repo.labelledWindows(id);
    const starts = new Set(labelled.falsePositive.filter(([a, b]) => b >= start && a <= end).map(([a]) => a));
    const falsePositives: Anomaly[] = [];
    // Their signals and directions, from the target's anomalies in the history (newest first); null: read them all.
    let cursor: string | null | undefined = starts.size > 0 ? undefined : null;
    while (cursor !== null) {
      const page = await repo.anomalyPage({ target: id, from: start, to: end, limit: MAX_PAGE_LIMIT, cursor });
      falsePositives.push(...page.anomalies.filter((a) => starts.has(a.start)));
      cursor = page.next;
    }
    return { confirmed: labelled.confirmed, falsePositives };
  } catch (err) {
    return { error: `feedback unreadable: ${messageOf(err)}` };
  }
}

/** What one target's retraining learns, and from what. */
interface TrainingPlan {
  target: TargetModel;
  /** Windows left out: confirmed incidents, with a margin. */
  excluded: Array<[number, number]>;
  threshold: number;
  models: Array<{ name: string } & ReturnType<typeof freshModels>>;
  benign: BenignMeasure;
  /** Steps it learned a value at, and the first and last of them. */
  samples: number;
  first: number;
  last: number;
  error?: string;
  feedback: { falsePositive: number; confirmed: number };
}

/** A target's plan: fresh models, with the threshold and windows its feedback (`labelled`) asks for. */
function planOf(
  t: TargetModel,
  labelled: TargetFeedback | { error: string },
  base: number,
  margin: number,
  settings: TargetSettings
): TrainingPlan {
  const failed = 'error' in labelled;
  const confirmed = failed ? [] : labelled.confirmed;
  const falsePositives = failed ? [] : labelled.falsePositives;
  const excluded = confirmed.map(([a, b]): [number, number] => [a - margin, b + margin]);
  const names = t.signals.map((s) => s.spec.name);
  // A false positive that only left signals' bands is silenced by its excursions: raising the
  // threshold as well would only hide other, smaller faults on every signal and delay real alarms
  // (by hours on NAB's rogue_agent_key_hold). It still rises for those the excursions cannot
  // silence: a stop, a departure from the peers, a forecast (named with a suffix).
  const unmeasured = falsePositives.filter((a) => a.signals.some((name) => !names.includes(name))).length;
  const threshold = retrainedThreshold(base, unmeasured);
  return {
    target: t,
    excluded,
    threshold,
    models: t.signals.map((s) => ({ name: s.spec.name, ...freshModels(s.spec, settings, threshold) })),
    benign: new BenignMeasure(falsePositives, names),
    samples: 0,
    first: NaN,
    last: NaN,
    error: failed ? labelled.error : undefined,
    feedback: { falsePositive: falsePositives.length, confirmed: confirmed.length },
  };
}

/**
 * Retrains the chosen targets on the watch's history up to `end` (the last processed step), leaving
 * out windows confirmed as incidents, and keeping how far the signals of its false positives went
 * (benignExcursions.ts). A target's new model replaces the old one only if it trained without error.
 * An answer of the history too large for prometheus.maxResponseBytes is read again in shorter ones;
 * one of a single step too large fails the retraining. Past its deadline it rejects with a
 * RetrainAbandonedError, storing and replacing nothing more: nothing at all unless the deadline passed
 * while it stored, when the targets stored before then run their new models. A request's run (fenced)
 * retrains and stores only what its claims still hold as it starts and as it stores.
 */
export async function retrainTargets(
  deps: TrainingDeps,
  asked: TargetModel[],
  end: number,
  reason: ModelVersion['reason'],
  fence?: ModelFence
): Promise<RetrainResult> {
  const { watch, repo, settings, clock } = deps;
  const base = baseThreshold(watch);
  const start = Math.ceil((end - watch.history) / watch.step) * watch.step;
  const margin = watch.closeAfter * watch.step;
  const waitFor = <T>(work: Promise<T>): Promise<T> => deps.deadline?.until(work) ?? work;
  // A request's run may have waited for its watch past its claims (retrainClaims.ts): it retrains
  // only the targets they still hold, none another replica took meanwhile.
  const heldAtStart = fence && (await waitFor(fence()));
  const chosen = heldAtStart ? asked.filter((t) => heldAtStart(t.id)) : asked;
  if (chosen.length === 0) {
    return { trained: 0, failed: [], retrained: [] };
  }
  const turns = new LoopTurns(() => deps.clock.elapsed());
  // A fleet's retraining holds the loop for seconds at each stage (10,000 targets: ~0.5 s reading
  // feedback, which SQLite answers without a turn; ~1.3 s making models; ~5 s storing them): the API
  // and /healthz answer between slices, and the deadline is looked at after each until the last look.
  const breathe = async (): Promise<void> => {
    if (turns.due) {
      await turns.give();
      deps.deadline?.check();
    }
  };
  const plans = new Map<string, TrainingPlan>();
  for (let i = 0; i < chosen.length; i += ITEMS_A_LOOK) {
    const some = chosen.slice(i, i + ITEMS_A_LOOK);
    const feedback = await waitFor(Promise.all(some.map((t) => feedbackOf(repo, t.id, start, end))));
    some.forEach((t, k) => plans.set(t.id, planOf(t, feedback[k], base, margin, settings)));
    await breathe();
  }
  // A few of the targets: only their series are read (the whole history of every series otherwise).
  const narrowed =
    chosen.length < deps.held && chosen.length <= MAX_NARROWED_TARGETS
      ? narrowedWatch(
          watch,
          chosen.map((t) => t.labels)
        )
      : undefined;
  // An answer too large is asked again with fewer steps, still narrowed (readInAnswers). The deadline
  // aborts the queries, their requests too; they are waited for through `until` as well, so that it
  // holds for a querier that ignores the abort.
  const fetch = (from: number, to: number) => waitFor(deps.fetch(from, to, narrowed, deps.deadline?.signal));
  await readInAnswers(
    { from: start, to: end, stepMs: watch.step },
    () => deps.answerSteps(),
    fetch,
    async (results, from, to) => {
      // The steps of this answer each target learned a value at: "samples" counts steps, as a target's first version does.
      const used = new Map<TrainingPlan, Uint8Array>();
      for (const [signal, list] of results) {
        for (const s of list) {
          // An answer's training for a whole fleet takes seconds: the API and /healthz answer meanwhile.
          await breathe();
          const plan = plans.get(targetId(watch.name, targetLabels(watch, s.labels)));
          const model = plan?.models.find((m) => m.name === signal);
          if (!plan || !model || plan.error) {
            continue;
          }
          const gaps = scoresMissing(watch.detector);
          const excluded = (t: number): boolean => plan.excluded.some(([a, b]) => t >= a && t <= b);
          let steps = used.get(plan);
          if (!steps) {
            steps = new Uint8Array(Math.round((to - from) / watch.step) + 1);
            used.set(plan, steps);
          }
          try {
            for (let i = 0; i < s.timestamps.length; i++) {
              const t = s.timestamps[i];
              // The steps the series had no sample at, as the live loop passes them: the retrained
              // detector learns how often it misses, or its next usual gap would look like a crash.
              for (let gap = i > 0 && gaps ? s.timestamps[i - 1] + watch.step : t; gap < t; gap += watch.step) {
                if (!excluded(gap)) {
                  model.detector.update(gap, NaN);
                }
              }
              if (excluded(t)) {
                continue;
              }
              if (!Number.isFinite(s.values[i])) {
                model.detector.update(t, NaN); // a missing sample to detectors that score gaps; ignored by the others
                continue;
              }
              model.detector.update(t, s.values[i]);
              model.forecaster?.update(t, s.values[i]);
              plan.benign.observe(signal, t, s.values[i], model.detector.expected);
              steps[Math.round((t - from) / watch.step)] = 1;
              plan.first = Number.isNaN(plan.first) ? t : Math.min(plan.first, t);
              plan.last = Number.isNaN(plan.last) ? t : Math.max(plan.last, t);
            }
          } catch (err) {
            plan.error = messageOf(err);
          }
        }
      }
      for (const [plan, steps] of used) {
        plan.samples += steps.reduce((n, x) => n + x, 0);
      }
    }
  );
  const failed: RetrainResult['failed'] = [];
  const retrained: TargetModel[] = [];
  // A request's run stores only the models of the requests still its own (retrainClaims.ts).
  const stillHeld = fence && (await waitFor(fence()));
  // Each version is swapped in once stored. The store is waited for only until the deadline, and no
  // write is sent past it: one that never answers would otherwise hold the watch and the claims of
  // the run's requests (renewed while it runs) for ever. Cut short here, the versions stored before run.
  for (const plan of plans.values()) {
    if (turns.due) {
      await turns.give();
    }
    if (stillHeld && !stillHeld(plan.target.id)) {
      continue;
    }
    deps.deadline?.check();
    const error = plan.error ?? (plan.samples === 0 ? 'no samples in the history range' : undefined);
    const benign = error ? [] : plan.benign.excursions();
    const version = await waitFor(
      repo.addModel({
        watch: watch.name,
        targetId: plan.target.id,
        status: error ? 'failed' : 'active',
        error,
        reason,
        trainedAt: clock.now(),
        rangeStart: Number.isNaN(plan.first) ? start : plan.first,
        rangeEnd: Number.isNaN(plan.last) ? end : plan.last,
        samples: plan.samples,
        params: modelParams(watch, settings, plan.excluded, benign),
        threshold: plan.threshold,
        feedback: plan.feedback,
      })
    );
    if (error) {
      failed.push({ target: plan.target.id, error });
      continue;
    }
    plan.target.replaceModels(plan.models, plan.threshold, version);
    plan.target.benign = benign;
    retrained.push(plan.target);
  }
  return { trained: retrained.length, failed, retrained };
}
