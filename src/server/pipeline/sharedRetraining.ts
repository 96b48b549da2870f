import type { Logger } from 'pino';
import { messageOf } from '../../utils/messageOf';
import type { RetrainBody, RetrainResponse } from '../../contract/pipeline';
import { RETRAIN_REQUEST_EXPIRES_AFTER_MS } from '../../contract/retrainRequests';
import type { PipelineRepository, RetrainRequest } from './store/repository';
import type { RetrainSelection } from './trainingRequests';

/**
 * "Retrain now" when replicas share the watches. A target's model lives in the memory of the
 * replica that holds it (ownership.ts), and replicas know each other only by name through the
 * store, not by address: so the replica a request reaches retrains what it holds at once and
 * leaves a request in the store (retrainRequestTable.ts) for each target another replica holds.
 * The request follows its target, not the replica it was left for: after each cycle every replica
 * takes (claims) the waiting requests whose targets it holds now and runs them, so a replica that
 * died, or a target that moved when the members changed, leaves no request behind. The claim is one
 * conditional update in the store, so two replicas that both hold a target for a moment run its
 * request once; a request nobody took within RETRAIN_REQUEST_EXPIRES_AFTER_MS (no replica holds its
 * target: it went, or its watch was removed) is answered as expired.
 */
export interface SharedRetrainingDeps {
  repo: PipelineRepository;
  /** This replica's name, as the target listing names owners. */
  identity: string;
  now(): number;
  logger: Logger;
  /** Retrains what this replica holds of the selection; rejects (not_found) for a body as a single process does. */
  retrain(selection: RetrainSelection): Promise<RetrainResponse>;
  /** Whether this replica holds the target now. */
  holds(targetId: string): boolean;
  /** The watches this replica runs. */
  watches(): string[];
  /** False until this replica knows its share (ownership.ts): before that it holds nothing yet. */
  settled(): boolean;
}

/**
 * How long a claim keeps a request from other replicas while its run has not finished: a replica
 * that died running it leaves it to the target's next holder (or to expiry) after this. Retraining
 * holds its watch's cycles, so no healthy run lasts anywhere near this long.
 */
export const CLAIM_LAPSES_AFTER_MS = 3_600_000;

export class SharedRetraining {
  /** The pick-up in progress: one at a time, and stopping waits for it. */
  private picking: Promise<void> = Promise.resolve();
  private busy = false;

  constructor(private readonly deps: SharedRetrainingDeps) {}

  /** The route's retraining: what is held here now, the rest queued for the replicas that hold it. */
  async request(body: RetrainBody): Promise<RetrainResponse> {
    const { repo, identity } = this.deps;
    if (body.target !== undefined && !this.deps.holds(body.target)) {
      const listed = await this.listedElsewhere(body.target, body.watch);
      if (listed === undefined) {
        // Nobody lists it: answered as a single process answers (404 for an unknown target).
        return this.deps.retrain(body);
      }
      await repo.queueRetraining([
        {
          replica: listed.owner,
          watch: listed.watch,
          target: body.target,
          requestedBy: identity,
          requestedAt: this.deps.now(),
        },
      ]);
      return { trained: 0, failed: [], queued: [{ replica: listed.owner, targets: 1 }] };
    }
    const here = await this.deps.retrain(body);
    if (body.target !== undefined) {
      return here;
    }
    const watches = this.deps.watches().filter((w) => body.watch === undefined || w === body.watch);
    const elsewhere = await repo.queueShareRetraining({ watches, requestedBy: identity, requestedAt: this.deps.now() });
    return elsewhere.length === 0 ? here : { ...here, queued: elsewhere };
  }

  /**
   * Runs the waiting requests whose targets this replica holds, then answers as expired those
   * nobody took in time (after each cycle; never rejects). Requests for the same target run once.
   */
  pickUp(): Promise<void> {
    if (this.busy || !this.deps.settled()) {
      return this.picking;
    }
    this.busy = true;
    this.picking = this.runPending()
      .catch((err: unknown) => this.deps.logger.error({ err }, 'retrain requests from other replicas not read'))
      .finally(() => {
        this.busy = false;
      });
    return this.picking;
  }

  /** Resolves once no pick-up runs (before the store closes). */
  idle(): Promise<void> {
    return this.picking;
  }

  private async runPending(): Promise<void> {
    const { repo, identity, logger } = this.deps;
    const now = this.deps.now();
    const lapsedBefore = now - CLAIM_LAPSES_AFTER_MS;
    const waiting = await repo.takeableRetraining({ replica: identity, lapsedBefore });
    // A request from an older build names a replica's share (no target): only that replica can tell it.
    const held = waiting.filter((r) => (r.target !== null ? this.deps.holds(r.target) : r.replica === identity));
    const claimed =
      held.length === 0
        ? []
        : await repo.claimRetraining(
            held.map((r) => r.id),
            { replica: identity, at: now, lapsedBefore }
          );
    const taken = new Set(claimed);
    for (const [selection, requests] of bySelection(held.filter((r) => taken.has(r.id)))) {
      let outcome: RetrainResponse;
      try {
        outcome = await this.deps.retrain(selection);
      } catch (err) {
        // Named for the run, not a target: every request of it records the failure.
        outcome = { trained: 0, failed: [{ target: selection.watch ?? 'all targets', error: messageOf(err) }] };
      }
      const recorded = await repo.finishRetraining(requests, identity, this.deps.now(), outcome);
      logger.info(
        { watch: selection.watch, requests: requests.length, recorded, ...outcome },
        'retraining requested on another replica done'
      );
    }
    const expired = await repo.expireRetraining(now, now - RETRAIN_REQUEST_EXPIRES_AFTER_MS, lapsedBefore);
    if (expired > 0) {
      logger.warn(
        { expired, afterMs: RETRAIN_REQUEST_EXPIRES_AFTER_MS },
        'retrain requests expired: no replica held their targets'
      );
    }
  }

  /** Which replica lists the target (of `watch`, when given) in a watch this replica runs, if one does. */
  private async listedElsewhere(target: string, watch: string | undefined) {
    const listed = await this.deps.repo.targetSummary(target);
    if (listed?.owner === undefined || !this.deps.watches().includes(listed.watch)) {
      return undefined;
    }
    return watch === undefined || listed.watch === watch ? { watch: listed.watch, owner: listed.owner } : undefined;
  }
}

/**
 * Requests run together: a watch's targets in one retraining (its history read once), and a share
 * request of an older build alone, as it was asked.
 */
function bySelection(requests: RetrainRequest[]): Array<[RetrainSelection, RetrainRequest[]]> {
  const groups = new Map<string, RetrainRequest[]>();
  for (const r of requests) {
    const key = JSON.stringify([r.watch, r.target === null]);
    const group = groups.get(key) ?? [];
    group.push(r);
    groups.set(key, group);
  }
  return [...groups.values()].map((rs) => {
    const { watch, target } = rs[0];
    const targets = rs.flatMap((r) => (r.target === null ? [] : [r.target]));
    return [
      { ...(watch !== null ? { watch } : {}), ...(target !== null ? { targets: [...new Set(targets)] } : {}) },
      rs,
    ];
  });
}
