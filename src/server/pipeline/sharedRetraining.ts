import type { Logger } from 'pino';
import { messageOf } from '../../utils/messageOf';
import type { RetrainBody, RetrainResponse } from '../../contract/pipeline';
import type { PipelineRepository, RetrainRequest } from './store/repository';

/**
 * "Retrain now" when replicas share the watches. A target's model lives in the memory of the
 * replica that holds it (ownership.ts), and replicas know each other only by name through the
 * store, not by address: so the replica a request reaches retrains what it holds at once and
 * leaves a request in the store (retrainRequestTable.ts) for each other replica that holds some of
 * what was asked, which that replica runs after its next cycle. Its answer says both: what it did,
 * and what it queued for whom.
 */
export interface SharedRetrainingDeps {
  repo: PipelineRepository;
  /** This replica's name, as the target listing names owners. */
  identity: string;
  now(): number;
  logger: Logger;
  /** Retrains what this replica holds of the body; rejects (not_found) as a single process does. */
  retrain(body: RetrainBody): Promise<RetrainResponse>;
  /** Whether this replica holds the target now. */
  holds(targetId: string): boolean;
  /** The watches this replica runs. */
  watches(): string[];
  /** False until this replica knows its share (ownership.ts): before that it holds nothing yet. */
  settled(): boolean;
}

export class SharedRetraining {
  /** The pick-up in progress: one at a time, and stopping waits for it. */
  private picking: Promise<void> = Promise.resolve();
  private busy = false;

  constructor(private readonly deps: SharedRetrainingDeps) {}

  /** The route's retraining: what is held here now, the rest queued for the replicas that hold it. */
  async request(body: RetrainBody): Promise<RetrainResponse> {
    const { repo, identity } = this.deps;
    if (body.target !== undefined && !this.deps.holds(body.target)) {
      const owner = await this.ownerElsewhere(body.target, body.watch);
      if (owner === undefined) {
        // Nobody else lists it either: answered as a single process answers (404 for an unknown target).
        return this.deps.retrain(body);
      }
      await repo.queueRetraining([this.addressed(owner, body)]);
      return { trained: 0, failed: [], queued: [{ replica: owner, targets: 1 }] };
    }
    const here = await this.deps.retrain(body);
    if (body.target !== undefined) {
      return here;
    }
    const watches = this.deps.watches().filter((w) => body.watch === undefined || w === body.watch);
    const elsewhere = (await repo.targetShareCounts(watches)).filter((s) => s.replica !== identity);
    if (elsewhere.length === 0) {
      return here;
    }
    await repo.queueRetraining(elsewhere.map((s) => this.addressed(s.replica, body)));
    return { ...here, queued: elsewhere };
  }

  /**
   * Runs the requests left for this replica (after each cycle; never rejects). Requests for the
   * same thing run once. A target this replica no longer holds goes on to the replica that lists it
   * now; one nobody lists is recorded as not retrained.
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
    const bySelection = new Map<string, RetrainRequest[]>();
    for (const r of await repo.retrainRequests(identity)) {
      const key = JSON.stringify([r.watch, r.target]);
      bySelection.set(key, [...(bySelection.get(key) ?? []), r]);
    }
    for (const requests of bySelection.values()) {
      const { watch, target } = requests[0];
      const ids = requests.map((r) => r.id);
      if (target !== null && !this.deps.holds(target)) {
        const owner = await this.ownerElsewhere(target, watch ?? undefined);
        if (owner !== undefined) {
          for (const id of ids) {
            await repo.readdressRetraining(id, owner);
          }
          continue;
        }
      }
      const body = { ...(watch !== null ? { watch } : {}), ...(target !== null ? { target } : {}) };
      let outcome: RetrainResponse;
      try {
        outcome = await this.deps.retrain(body);
      } catch (err) {
        outcome = { trained: 0, failed: [{ target: target ?? watch ?? 'all targets', error: messageOf(err) }] };
      }
      await repo.finishRetraining(ids, this.deps.now(), outcome);
      logger.info(
        { ...body, requestedBy: requests.map((r) => r.requestedBy), ...outcome },
        'retraining requested on another replica done'
      );
    }
  }

  /** The other replica that lists the target (of `watch`, when given), if one does. */
  private async ownerElsewhere(target: string, watch: string | undefined): Promise<string | undefined> {
    const listed = await this.deps.repo.targetSummary(target);
    if (listed === undefined || !this.deps.watches().includes(listed.watch)) {
      return undefined;
    }
    const asked = watch === undefined || listed.watch === watch;
    return asked && listed.owner !== this.deps.identity ? listed.owner : undefined;
  }

  private addressed(replica: string, body: RetrainBody) {
    return {
      replica,
      watch: body.watch ?? null,
      target: body.target ?? null,
      requestedBy: this.deps.identity,
      requestedAt: this.deps.now(),
    };
  }
}
