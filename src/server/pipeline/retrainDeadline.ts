import { untilAborted } from '../abortable';
import type { WatchConfig } from '../config/schema';
import type { Clock } from '../clock';
import { CLAIM_LAPSES_AFTER_MS } from './retrainClaims';

/**
 * What a retraining may spend on each step of the history it replays, at least: a first sight,
 * which replays history as a retraining does, took 12.5 s for 60 steps of 10,000 series, queries
 * included (benchmarks/RESULTS.md): about 0.2 s a step. A second is five times that.
 */
export const RETRAIN_STEP_BUDGET_MS = 1_000;

/** And per series and step, for fleets larger than that one: five times its pace (~21 µs). */
export const RETRAIN_SERIES_STEP_BUDGET_MS = 0.1;

/**
 * How long a retraining of `targets` targets of the watch may run before it is abandoned: its
 * history's steps at the budgets above, and never less than a claim's lapse. A live replica whose run
 * hangs (a query never answered, a fit that does not end) would otherwise hold the watch's cycles and
 * the claims of the requests it runs (renewed while it lives) for ever; a dead one's requests go to
 * another replica a lapse after it died, so a hung one is not cut off sooner than that.
 */
export function retrainDeadlineMs(watch: WatchConfig, targets: number): number {
  const steps = Math.floor(watch.history / watch.step) + 1;
  const series = targets * Object.keys(watch.queries).length;
  const perStep = Math.max(RETRAIN_STEP_BUDGET_MS, series * RETRAIN_SERIES_STEP_BUDGET_MS);
  return Math.max(CLAIM_LAPSES_AFTER_MS, Math.ceil(steps * perStep));
}

/** A retraining that outlasted its deadline: its queries were aborted, the rest no longer waited for, and nothing stored. */
export class RetrainAbandonedError extends Error {
  constructor(
    readonly watch: string,
    readonly deadlineMs: number
  ) {
    super(
      `retraining of watch ${watch} abandoned: still running after ${Math.round(deadlineMs / 60_000)} min, its deadline; nothing of it is stored`
    );
    this.name = 'RetrainAbandonedError';
  }
}

/**
 * One retraining's deadline on the server's clock. Its queries take `signal`, which aborts them (their
 * requests end) as the deadline passes; what cannot be aborted (the store) goes through `until`, which
 * stops waiting for it; and the retraining looks at `check` between slices of work.
 */
export class RetrainDeadline {
  private readonly controller = new AbortController();
  private readonly cancel: () => void;

  constructor(clock: Pick<Clock, 'after'>, watch: string, ms: number) {
    this.cancel = clock.after(ms, () => this.controller.abort(new RetrainAbandonedError(watch, ms)));
  }

  /** Aborts once the deadline passes, with a RetrainAbandonedError as its reason. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** `work`'s outcome, or a RetrainAbandonedError as soon as the deadline passes first. */
  until<T>(work: Promise<T>): Promise<T> {
    return untilAborted(work, this.controller.signal);
  }

  /** Throws the RetrainAbandonedError once the deadline has passed. */
  check(): void {
    this.controller.signal.throwIfAborted();
  }

  /** The retraining ended: the deadline no longer applies. */
  end(): void {
    this.cancel();
  }
}
