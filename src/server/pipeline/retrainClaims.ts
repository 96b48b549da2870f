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
 * Which targets of a request's run may still store the models retrained for them, asked right
 * before they are stored: the run may have outlasted its claims (see HeldClaims.fence).
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
 * for as long as the process lives; a dead replica's claims lapse too), and taken again right before
 * each run, which runs only the requests still held. Renewing is claiming again: a claim this replica
 * holds is its own to take, one another replica took or answered is not (retrainRequestTable.ts).
 */
export class HeldClaims {
  private readonly open: Set<number>;
  private readonly stopRenewing: () => void;
  private renewing?: Promise<unknown>;

  constructor(
    private readonly deps: HeldClaimsDeps,
    ids: readonly number[]
  ) {
    this.open = new Set(ids);
    this.stopRenewing = deps.clock.every(CLAIM_RENEWED_EVERY_MS, () => {
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
    const held = new Set(await this.renew(requests.map((r) => r.id).filter((id) => this.open.has(id))));
    return requests.filter((r) => held.has(r.id));
  }

  /**
   * The fence of these requests' run: their claims taken again, the targets of those still held
   * (all of them, for an older build's share request). A replica cut off from the store past the
   * lapse stores no model for what another replica took meanwhile: that one answers it, and stores its own.
   */
  fence(requests: readonly RetrainRequest[]): ModelFence {
    return async () => {
      const kept = await this.keep(requests);
      const targets = new Set(kept.map((r) => r.target));
      return targets.has(null) ? () => true : (id) => targets.has(id);
    };
  }

  /**
   * These requests are no longer renewed, nor let past the fence: they are being answered (a renewal
   * after the answer would read as lost), or their run was abandoned (their claims lapse for another replica).
   */
  letGo(requests: readonly RetrainRequest[]): void {
    requests.forEach((r) => this.open.delete(r.id));
  }

  /** Stops renewing, once a renewal in flight has ended (the store may close after). */
  async release(): Promise<void> {
    this.stopRenewing();
    await this.renewing;
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
    const lost = ids.filter((id) => !held.has(id) && this.open.has(id));
    lost.forEach((id) => this.open.delete(id));
    if (lost.length > 0) {
      logger.warn(
        { requests: lost },
        'retrain requests no longer held here (answered, or taken by another replica after this one could not renew its claim): their outcome here, models included, is not stored'
      );
    }
    return [...held];
  }
}
