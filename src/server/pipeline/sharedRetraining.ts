import type { Logger } from 'pino';
import { messageOf } from '../../utils/messageOf';
import type { RetrainBody, RetrainResponse } from '../../contract/pipeline';
import { RETRAIN_REQUEST_EXPIRES_AFTER_MS } from '../../contract/retrainRequests';
import type { Clock } from '../clock';
import { CLAIM_LAPSES_AFTER_MS, HeldClaims } from './retrainClaims';
import { RetrainAbandonedError, RetrainStoppedError } from './retrainDeadline';
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
 * request once, and it is held while its run lasts, up to the run's deadline or the backend's stop
 * (retrainClaims.ts, retrainDeadline.ts); a request nobody took within retrainRequestWaitMs of its watch (no replica
 * holds its target: it went, or its watch was removed) is answered as expired, by the replica that
 * would hold its target (see expire).
 */
export interface SharedRetrainingDeps {
  repo: PipelineRepository;
  /** This replica's name, as the target listing names owners. */
  identity: string;
  clock: Pick<Clock, 'now' | 'every'>;
  logger: Logger;
  /** Retrains what this replica holds of the selection; rejects (not_found) for a body as a single process does. */
  retrain(selection: RetrainSelection): Promise<RetrainResponse>;
  /** Whether this replica holds the target now. */
  holds(targetId: string): boolean;
  /**
   * Whether this replica is the one that holds the target (of `watch`) whenever it exists: its share
   * of the watch, or of the live replicas for a watch it does not run (ownership.ts).
   */
  wouldHold(targetId: string, watch: string | null): boolean;
  /** The watches this replica runs. */
  watches(): string[];
  /** The step of a watch this replica runs, in milliseconds. */
  stepOf(watch: string): number | undefined;
  /** False until this replica knows its share (ownership.ts): before that it holds nothing yet. */
  settled(): boolean;
}

/** How many of its watch's steps a request waits at least: see retrainRequestWaitMs. */
export const EXPIRES_AFTER_STEPS = 3;

/**
 * How long a request of a watch with this step waits for a replica to take it before it expires:
 * RETRAIN_REQUEST_EXPIRES_AFTER_MS, or EXPIRES_AFTER_STEPS steps when longer. A replica taking the
 * target over (its holder died) learns it at the watch's next cycle, up to a step later, and takes
 * requests after its cycles: counted in hours alone, a watch with a step of an hour or more would see
 * its requests expire before the new holder's first chance. A watch this replica does not run (it was
 * removed) has no step here: its requests wait the least.
 */
export function retrainRequestWaitMs(stepMs: number | undefined): number {
  return Math.max(RETRAIN_REQUEST_EXPIRES_AFTER_MS, EXPIRES_AFTER_STEPS * (stepMs ?? 0));
}

export class SharedRetraining {
  /** The pick-up in progress: one at a time, and stopping waits for it. */
  private picking: Promise<void> = Promise.resolve();
  private busy = false;
  /**
   * The requests whose run was abandoned here, and until when this replica leaves them (their claim's
   * lapse): taken again at once, a request would be renewed, and run on the same stalled path, for
   * as long as this replica lives, and another replica holding its target would never get its chance.
   */
  private readonly abandoned = new Map<number, number>();
  /**
   * The waiting requests the last pick-up read: since when this replica decides each (expire), or
   * null for those it did not decide then. Undefined before the first pick-up.
   */
  private deciding?: Map<number, number | null>;

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
          requestedAt: this.deps.clock.now(),
        },
      ]);
      return { trained: 0, failed: [], queued: [{ replica: listed.owner, targets: 1 }] };
    }
    const here = await this.deps.retrain(body);
    if (body.target !== undefined) {
      return here;
    }
    const watches = this.deps.watches().filter((w) => body.watch === undefined || w === body.watch);
    const elsewhere = await repo.queueShareRetraining({
      watches,
      requestedBy: identity,
      requestedAt: this.deps.clock.now(),
    });
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
    const { repo, identity } = this.deps;
    const now = this.deps.clock.now();
    const lapsedBefore = now - CLAIM_LAPSES_AFTER_MS;
    const waiting = await repo.takeableRetraining({ replica: identity, lapsedBefore });
    for (const [id, until] of this.abandoned) {
      if (until <= now) {
        this.abandoned.delete(id);
      }
    }
    // A request from an older build names a replica's share (no target): only that replica can tell it.
    const held = waiting.filter(
      (r) => !this.abandoned.has(r.id) && (r.target !== null ? this.deps.holds(r.target) : r.replica === identity)
    );
    if (held.length > 0) {
      const taken = new Set(
        await repo.claimRetraining(
          held.map((r) => r.id),
          { replica: identity, at: now, lapsedBefore }
        )
      );
      await this.runClaimed(held.filter((r) => taken.has(r.id)));
    }
    await this.expire(waiting);
  }

  /** Runs the requests this replica claimed, holding their claims until each is answered. */
  private async runClaimed(claimed: RetrainRequest[]): Promise<void> {
    const { repo, identity, logger } = this.deps;
    const claims = new HeldClaims(
      this.deps,
      claimed.map((r) => r.id)
    );
    try {
      const runs = byRun(claimed);
      for (const [i, requests] of runs.entries()) {
        // The runs before this one may have outlasted a lapse: what another replica took since is its to run.
        const kept = await claims.keep(requests);
        if (kept.length === 0) {
          continue;
        }
        const selection = selectionOf(kept);
        let outcome: RetrainResponse;
        try {
          outcome = await claims.handOver(kept, (fence) => this.deps.retrain({ ...selection, fence }));
        } catch (err) {
          if (err instanceof RetrainAbandonedError) {
            this.abandon(claims, kept, err);
            continue;
          }
          if (err instanceof RetrainStoppedError) {
            // This run's requests and those not run yet are left unanswered, as an abandoned run's are
            // (nothing of them failed): their claims, no longer renewed, lapse for a replica holding their targets.
            logger.info(
              { requests: [kept, ...runs.slice(i + 1)].flatMap((run) => run.map((r) => r.id)) },
              'retrain requests left unanswered, the backend stopping: a replica holding their targets takes them once their claims lapse'
            );
            return;
          }
          // Named for the run, not a target: every request of it records the failure.
          outcome = { trained: 0, failed: [{ target: selection.watch ?? 'all targets', error: messageOf(err) }] };
        }
        claims.letGo(kept);
        const recorded = await repo.finishRetraining(kept, identity, this.deps.clock.now(), outcome);
        logger.info(
          { watch: selection.watch, requests: kept.length, recorded, ...outcome },
          'retraining requested on another replica done'
        );
      }
    } finally {
      await claims.release();
    }
  }

  /**
   * A run past its deadline (retrainDeadline.ts) answers none of its requests: their claims are no
   * longer renewed, and lapse for whichever replica holds their targets then, this one included once
   * the lapse is past.
   */
  private abandon(claims: HeldClaims, requests: RetrainRequest[], err: RetrainAbandonedError): void {
    claims.letGo(requests);
    const until = this.deps.clock.now() + CLAIM_LAPSES_AFTER_MS;
    requests.forEach((r) => this.abandoned.set(r.id, until));
    this.deps.logger.warn(
      { watch: err.watch, requests: requests.map((r) => r.id), retakenHereAfter: new Date(until).toISOString() },
      'retrain requests left unanswered, their run abandoned past its deadline: their claims are no longer renewed, so a replica holding their targets takes them once the claims lapse (this one after retakenHereAfter)'
    );
  }

  /**
   * Answers as expired the requests nobody took within their watch's wait (retrainRequestWaitMs) of
   * those waiting (`waiting`, read before this pick-up's runs) that this replica decides: those whose
   * target it would hold (wouldHold) and does not, right after its own cycles; and an older build's
   * share requests, as before. A replica stuck in a long cycle thus has its chance at its requests
   * however long the cycle lasts: another replica does not expire them meanwhile. One that dies leaves
   * the live set, and its targets' next holder decides, once it has had a cycle to take them (see decidedSince).
   */
  private async expire(waiting: RetrainRequest[]): Promise<void> {
    const now = this.deps.clock.now();
    const since = this.decidedSince(waiting, now);
    const decided = waiting.filter((r) => {
      const from = since.get(r.id);
      return from !== undefined && now - from >= (r.watch === null ? 0 : (this.deps.stepOf(r.watch) ?? 0));
    });
    if (decided.length === 0) {
      return;
    }
    const byWatch = Object.fromEntries(
      this.deps.watches().map((w) => [w, now - retrainRequestWaitMs(this.deps.stepOf(w))])
    );
    const expired = await this.deps.repo.expireRetraining(
      now,
      now - retrainRequestWaitMs(undefined),
      now - CLAIM_LAPSES_AFTER_MS,
      byWatch,
      decided.map((r) => r.id)
    );
    if (expired > 0) {
      this.deps.logger.warn({ expired }, 'retrain requests expired: no replica held their targets');
    }
  }

  /**
   * Since when this replica decides each waiting request it decides now. Its share grows the moment
   * its membership changes, which may fall between its cycles and this pick-up (a live set settles
   * when asked): it would hold a target it has not cycled yet, and expire the request of a target
   * alive and about to be taken. So a request it did not decide at its last pick-up (or at all, at
   * its first) waits a step of its watch from now, by which the watch has been due to cycle and a
   * pick-up comes only after the cycles; one it already decided, or had not seen (queued or lapsed
   * since, with no sign its share changed), is decided as before.
   */
  private decidedSince(waiting: RetrainRequest[], now: number): Map<number, number> {
    const before = this.deciding;
    this.deciding = new Map();
    const since = new Map<number, number>();
    for (const r of waiting) {
      const decides = r.target === null || (this.deps.wouldHold(r.target, r.watch) && !this.deps.holds(r.target));
      if (!decides) {
        this.deciding.set(r.id, null);
        continue;
      }
      const was = before?.get(r.id);
      const from = was ?? (before === undefined || was === null ? now : -Infinity);
      this.deciding.set(r.id, from);
      since.set(r.id, from);
    }
    return since;
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
function byRun(requests: RetrainRequest[]): RetrainRequest[][] {
  const groups = new Map<string, RetrainRequest[]>();
  for (const r of requests) {
    const key = JSON.stringify([r.watch, r.target === null]);
    const group = groups.get(key) ?? [];
    group.push(r);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** What the run of one group of requests (byRun) retrains. */
function selectionOf(requests: RetrainRequest[]): RetrainSelection {
  const { watch, target } = requests[0];
  const targets = requests.flatMap((r) => (r.target === null ? [] : [r.target]));
  return { ...(watch !== null ? { watch } : {}), ...(target !== null ? { targets: [...new Set(targets)] } : {}) };
}
