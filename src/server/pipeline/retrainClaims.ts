import type { Logger } from 'pino';
import type { Clock } from '../clock';
import type { PipelineRepository, RetrainRequest } from './store/repository';

/**
 * How long a claim keeps a request from other replicas without being renewed: a replica that died
 * running it leaves it to the target's next holder (or to expiry) after this.
 */
export const CLAIM_LAPSES_AFTER_MS = 3_600_000;

/**
 * How often a replica renews the claims it holds while it runs them (or waits for the watch's cycle
 * in flight to let them run): a few times per lapse, so one slow or failed renewal does not lose them.
 */
export const CLAIM_RENEWED_EVERY_MS = CLAIM_LAPSES_AFTER_MS / 4;

/**
 * How long a run handed to its watch may wait there to start (behind the watch's cycle in flight)
 * with its requests' claims renewed. A cycle that never ends (a store call that never answers) would
 * otherwise keep them here for as long as the process lives, though another replica holding their
 * targets could run them. As long as a started run gets before its deadline abandons it, at least
 * (retrainDeadline.ts): a cycle that long is stuck, not busy; and one that long but busy only lets a
 * replica holding the targets too run them first, as the fence keeps this one from running them again.
 */
export const RUN_START_WAIT_MS = CLAIM_LAPSES_AFTER_MS;

/**
 * Which targets of a request's run it may still retrain, asked when the run starts (it may have
 * waited for its watch past its claims: RUN_START_WAIT_MS), and which may still store the models
 * retrained for them, asked right before they are stored (it may have outlasted its claims): see HeldClaims.handOver.
 */
export type ModelFence = () => Promise<(targetId: string) => boolean>;

export interface HeldClaimsDeps {
  repo: PipelineRepository;
  /** The replica holding the claims. */
  identity: string;
  clock: Pick<Clock, 'now' | 'every'>;
  logger: Logger;
}

/**
 * The requests one pick-up claimed, kept its own until each is answered. A retraining may last
 * longer than a claim's lapse (a large fleet's history, or a long cycle of its watch ahead of it),
 * and a lapsed claim is another replica's to take: it would run the request again, and two model
 * versions of the target would race. So the claims are renewed on this replica's clock until their
 * run is answered, abandoned past its deadline or stopped with the backend (retrainDeadline.ts: a hung run does not keep them
 * for as long as the process lives; a dead replica's claims lapse too), or until the run, handed to
 * its watch, has waited RUN_START_WAIT_MS to start; and taken again right before each run and as it
 * starts, which runs only the requests still held. Renewing is claiming again: a claim this replica
 * holds (lapsed or not) is its own to take, one another replica took or answered is not (retrainRequestTable.ts).
 */
export class HeldClaims {
  private readonly open: Set<number>;
  /**
   * Claims no longer renewed, as their run waited too long to start: taken again as it starts (or
   * as their own run comes), if nobody else took them meanwhile.
   */
  private readonly waitedOut = new Set<number>();
  /** When the run in hand was handed to its watch, while it has not started. */
  private waitingSince?: number;
  private readonly stopRenewing: () => void;
  private renewing?: Promise<unknown>;

  constructor(
    private readonly deps: HeldClaimsDeps,
    ids: readonly number[]
  ) {
    this.open = new Set(ids);
    this.stopRenewing = deps.clock.every(CLAIM_RENEWED_EVERY_MS, () => {
      this.waitOut();
      // One renewal at a time: a beat while the store is slow to answer waits for the next.
      this.renewing ??= this.renew([...this.open])
        .catch((err: unknown) =>
          deps.logger.warn({ err }, 'retrain request claims not renewed; the next beat tries again')
        )
        .finally(() => (this.renewing = undefined));
    });
  }

  /** Of these requests, those still held once claimed again now: what their run may answer. */
  async keep(requests: readonly RetrainRequest[]): Promise<RetrainRequest[]> {
    const held = await this.retake(requests.map((r) => r.id));
    return requests.filter((r) => held.has(r.id));
  }

  /**
   * Runs `run`, the retraining of these requests handed to their watch now, with its fence: their
   * claims taken again, the targets of those still held (all of them, for an older build's share
   * request), asked as the run starts and before it stores its models. A replica whose run waited
   * too long to start, or that was cut off from the store past the lapse, runs and stores nothing of
   * what another replica took meanwhile: that one answers it, and stores its own.
   */
  async handOver<T>(requests: readonly RetrainRequest[], run: (fence: ModelFence) => Promise<T>): Promise<T> {
    this.waitingSince = this.deps.clock.now();
    const fence: ModelFence = async () => {
      this.waitingSince = undefined;
      // The run goes on: the claims left to lapse while it waited are taken again, the next runs' too.
      const held = await this.retake([...requests.map((r) => r.id), ...this.waitedOut]);
      const targets = new Set(requests.filter((r) => held.has(r.id)).map((r) => r.target));
      return targets.has(null) ? () => true : (id) => targets.has(id);
    };
    try {
      return await run(fence);
    } finally {
      this.waitingSince = undefined;
    }
  }

  /**
   * These requests are no longer renewed, nor let past the fence: they are being answered (a renewal
   * after the answer would read as lost), or their run was abandoned (their claims lapse for another replica).
   */
  letGo(requests: readonly RetrainRequest[]): void {
    requests.forEach((r) => {
      this.open.delete(r.id);
      this.waitedOut.delete(r.id);
    });
  }

  /** Stops renewing, once a renewal in flight has ended (the store may close after). */
  async release(): Promise<void> {
    this.stopRenewing();
    await this.renewing;
  }

  /**
   * Stops renewing every claim held once the run in hand has waited RUN_START_WAIT_MS for its watch:
   * none of them runs before it starts.
   */
  private waitOut(): void {
    const { clock, logger } = this.deps;
    if (
      this.waitingSince === undefined ||
      clock.now() - this.waitingSince < RUN_START_WAIT_MS ||
      this.open.size === 0
    ) {
      return;
    }
    const ids = [...this.open];
    ids.forEach((id) => this.waitedOut.add(id));
    this.open.clear();
    logger.warn(
      { requests: ids, waitingSince: new Date(this.waitingSince).toISOString() },
      "retrain requests' claims no longer renewed: their run still waits for its watch (a cycle that does not end), so they lapse for another replica holding their targets; this one runs only those nobody took meanwhile, once it starts"
    );
  }

  /** Those of the ids this replica holds (renewed or left to lapse) that it still holds once claimed again: renewed from now on. */
  private async retake(ids: readonly number[]): Promise<Set<number>> {
    const mine = [...new Set(ids)].filter((id) => this.open.has(id) || this.waitedOut.has(id));
    const held = new Set(await this.renew(mine));
    mine.filter((id) => held.has(id) && this.waitedOut.delete(id)).forEach((id) => this.open.add(id));
    return held;
  }

  /** Claims the ids again; resolves to those still held, and forgets (with a warning) those lost. */
  private async renew(ids: number[]): Promise<number[]> {
    if (ids.length === 0) {
      return [];
    }
    const { repo, identity, clock, logger } = this.deps;
    const at = clock.now();
    const held = new Set(
      await repo.claimRetraining(ids, { replica: identity, at, lapsedBefore: at - CLAIM_LAPSES_AFTER_MS })
    );
    const lost = ids.filter((id) => !held.has(id) && (this.open.has(id) || this.waitedOut.has(id)));
    lost.forEach((id) => {
      this.open.delete(id);
      this.waitedOut.delete(id);
    });
    if (lost.length > 0) {
      logger.warn(
        { requests: lost },
        'retrain requests no longer held here (answered, or taken by another replica after this one could not renew its claim or its run waited too long to start): their outcome here, models included, is not stored'
      );
    }
    return [...held];
  }
}
