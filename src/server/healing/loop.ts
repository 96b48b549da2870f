import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { messageOf } from '../../utils/messageOf';

/**
 * The engine's loop: ticks on the clock, one tick at a time (a tick asked for meanwhile runs once
 * after it), one step in flight per action, and follow-ups that never hold up a state change.
 */
export class EngineLoop {
  /** One step in flight per action: gating, executing or recovering it. */
  private readonly running = new Map<number, Promise<void>>();
  /** What state changes set off (a ladder's next step, a notification), awaited by `idle`. */
  private readonly background = new Set<Promise<void>>();
  private ticking?: Promise<void>;
  private tickAgain = false;
  private stopTicking?: () => void;
  /** Why the last tick failed (undefined: it went through), so a lasting failure is said once, not every tick. */
  private tickFailure?: string;

  constructor(private readonly deps: { clock: Clock; logger: Logger; runTick: () => Promise<void> }) {}

  tick(): Promise<void> {
    if (this.ticking) {
      this.tickAgain = true;
      return this.ticking;
    }
    this.ticking = (async () => {
      do {
        this.tickAgain = false;
        try {
          await this.deps.runTick();
          if (this.tickFailure !== undefined) {
            this.deps.logger.info('healing ticks go through again');
            this.tickFailure = undefined;
          }
        } catch (err) {
          // The store may be away (a PostgreSQL failover, a full disk): the loop goes on, the next tick retries.
          const failure = messageOf(err);
          if (failure === this.tickFailure) {
            this.deps.logger.debug(`healing tick failed again: ${failure}`);
          } else {
            this.deps.logger.error({ err }, 'healing tick failed; the next tick tries again');
          }
          this.tickFailure = failure;
        }
      } while (this.tickAgain);
    })().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  /** Resolves once no tick, no action step and no follow-up is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.ticking || this.running.size > 0 || this.background.size > 0) {
      await Promise.all([this.ticking, ...this.running.values(), ...this.background]);
    }
  }

  /** Work the caller awaits (a trigger handed in), also awaited by `idle`; its failure stays the caller's. */
  track<T>(work: Promise<T>): Promise<T> {
    const done = work.then(
      () => undefined,
      () => undefined
    );
    this.background.add(done);
    void done.finally(() => this.background.delete(done));
    return work;
  }

  /** Runs what a state change set off without holding up the change; a failure is logged, never thrown. */
  inBackground(work: Promise<void>): void {
    const done = work
      .catch((err: unknown) => this.deps.logger.error({ err }, 'healing follow-up failed'))
      .finally(() => this.background.delete(done));
    this.background.add(done);
  }

  /** Ticks every `intervalMs`, the first at once. */
  start(intervalMs: number): void {
    void this.tick();
    this.stopTicking = this.deps.clock.every(intervalMs, () => void this.tick());
  }

  async stop(): Promise<void> {
    this.stopTicking?.();
    this.stopTicking = undefined;
    await this.idle();
  }

  /** Runs one step of one action, never two at once for the same action; `true` from it asks for another tick (it approved the action). */
  launch(id: number, run: () => Promise<boolean | void>): void {
    if (this.running.has(id)) {
      return;
    }
    const done = run()
      .catch((err: unknown) => this.deps.logger.error({ err, actionId: id }, 'healing action failed unexpectedly'))
      .then((again) => {
        this.running.delete(id);
        if (again === true) {
          void this.tick();
        }
      });
    this.running.set(id, done);
  }

  /** The step of this action in flight, if any. */
  step(id: number): Promise<void> | undefined {
    return this.running.get(id);
  }
}
