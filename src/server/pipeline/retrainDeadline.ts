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

/**
 * A retraining cut short, storing nothing more: abandoned past its deadline, or stopped with the
 * backend. Only past the deadline, while it stored its versions, had it stored some (retrainTargets).
 */
export abstract class RetrainCutShortError extends Error {
  constructor(
    readonly watch: string,
    message: string
  ) {
    super(message);
  }
}

/** A retraining that outlasted its deadline: its queries were aborted, the rest no longer waited for, and nothing more stored. */
export class RetrainAbandonedError extends RetrainCutShortError {
  constructor(
    watch: string,
    readonly deadlineMs: number
  ) {
    super(
      watch,
      `retraining of watch ${watch} abandoned: still running after ${Math.round(deadlineMs / 60_000)} min, its deadline; nothing more of it is stored`
    );
    this.name = 'RetrainAbandonedError';
  }
}

/**
 * A retraining the backend's stop cut short, as the deadline would: nothing of it is stored, and
 * nothing failed either (a stopping pod must not wait an hour for it, and Kubernetes gives it 30 s).
 */
export class RetrainStoppedError extends RetrainCutShortError {
  constructor(watch: string) {
    super(
      watch,
      `the backend is stopping: the retraining of watch ${watch} was stopped and nothing of it is stored; ask again once the backend is back`
    );
    this.name = 'RetrainStoppedError';
  }
}

/**
 * One retraining's deadline on the server's clock, and the backend's stop. Its queries take `signal`,
 * which aborts them (their requests end) as the deadline passes or the backend stops; what cannot be
 * aborted (the store's reads and writes) goes through `until`, which stops waiting for it; and the
 * retraining looks at `check` between slices of work and before each write.
 */
export class RetrainDeadline {
  private readonly controller = new AbortController();
  private readonly cancel: () => void;
  private readonly stop: () => void;

  constructor(
    clock: Pick<Clock, 'after'>,
    watch: string,
    ms: number,
    private readonly stopping?: AbortSignal
  ) {
    this.cancel = clock.after(ms, () => this.controller.abort(new RetrainAbandonedError(watch, ms)));
    this.stop = () => this.controller.abort(new RetrainStoppedError(watch));
    // A retraining that starts once the backend is stopping (queued behind a cycle) ends at once.
    if (stopping?.aborted) {
      this.stop();
    }
    stopping?.addEventListener('abort', this.stop, { once: true });
  }

  /** Aborts once the deadline passes or the backend stops, with a RetrainCutShortError saying which as its reason. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** `work`'s outcome, or a RetrainCutShortError as soon as the deadline passes or the backend stops first. */
  until<T>(work: Promise<T>): Promise<T> {
    return untilAborted(work, this.controller.signal);
  }

  /** Throws the RetrainCutShortError once the deadline has passed or the backend stopped. */
  check(): void {
    this.controller.signal.throwIfAborted();
  }

  /** The retraining ended: neither the deadline nor the stop applies any more. */
  end(): void {
    this.cancel();
    this.stopping?.removeEventListener('abort', this.stop);
  }
}
