import type { Logger } from 'pino';
import type { WatchStatus } from '../../contract/pipeline';
import type { Clock } from '../clock';
import type { PipelineMetrics } from './metrics';

type LastError = NonNullable<WatchStatus['lastError']>;

/** How a watch's cycles go, as the API and /metrics say it: degraded or not, the last error, the last cycle. */
export class WatchHealth {
  private degraded = false;
  private lastError: WatchStatus['lastError'] = null;
  private lastCycleAt: number | null = null;
  private lastCycleSeconds: number | null = null;

  constructor(
    private readonly watch: string,
    private readonly deps: { logger: Logger; clock: Clock; metrics: PipelineMetrics }
  ) {}

  get isDegraded(): boolean {
    return this.degraded;
  }

  /**
   * Marks the watch degraded (the loop keeps going; the next cycle resumes where this one stopped).
   * True when it already was, for the same error: a failure that lasts, said once by whoever logs it.
   */
  markDegraded(kind: LastError['kind'], message: string): boolean {
    const { logger, clock, metrics } = this.deps;
    const again = this.degraded && this.lastError?.kind === kind && this.lastError.message === message;
    if (!this.degraded) {
      logger.warn({ watch: this.watch, kind }, `watch degraded: ${message}`);
    }
    this.degraded = true;
    this.lastError = { kind, message, at: clock.now() };
    metrics.degraded.set({ watch: this.watch }, 1);
    metrics.queryErrors.inc({ watch: this.watch, kind });
    return again;
  }

  /**
   * A cycle went through in `seconds`: the watch is no longer degraded (its last error stays shown),
   * unless `stillDegraded` (it went through despite what marked it degraded: until the next cycle).
   */
  cycled(seconds: number, stillDegraded = false): void {
    const { logger, clock, metrics } = this.deps;
    if (!stillDegraded) {
      if (this.degraded) {
        logger.info({ watch: this.watch }, 'watch recovered: queries answer again');
      }
      this.degraded = false;
      metrics.degraded.set({ watch: this.watch }, 0);
    }
    this.lastCycleAt = clock.now();
    this.lastCycleSeconds = seconds;
    metrics.cycleDuration.observe({ watch: this.watch }, seconds);
  }

  status(): Pick<WatchStatus, 'degraded' | 'lastError' | 'lastCycleAt' | 'lastCycleSeconds'> {
    const { degraded, lastError, lastCycleAt, lastCycleSeconds } = this;
    return { degraded, lastError, lastCycleAt, lastCycleSeconds };
  }
}
