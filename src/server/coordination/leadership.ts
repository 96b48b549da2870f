import { hostname } from 'node:os';
import { messageOf } from '../../utils/messageOf';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { Clock } from '../clock';
import type { Config } from '../config/schema';
import { createKubeClient, type KubeClient } from '../kubernetes/client';
import { createKubeConfig } from '../kubernetes/config';
import { describeUrl } from '../store/postgres/pool';
import { AdvisoryLockElector } from './advisoryLock';
import type { LeaderElector } from './elector';
import { LeaseElector } from './lease';

/** What this replica is: the one that leads, one that follows, or the only one (no election). */
export type LeaderRole = 'leader' | 'follower' | 'single';

export class LeadershipConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeadershipConfigError';
  }
}

export interface LeadershipDeps {
  /** This replica's name among the candidates (the elector's identity). */
  identity: string;
  /** Absent: a single replica, which always leads. */
  elector?: LeaderElector;
  clock: Clock;
  logger: Logger;
  metrics: Registry;
  /** How often to campaign (renew, or look for an expired lease). */
  renewIntervalMs: number;
}

/**
 * Whether this replica leads: it campaigns through its elector at once and every renew interval on
 * the injected clock, one round at a time, logs and exports each change, and on stop gives
 * leadership up so the next replica takes over at once. What must happen once (executing healing
 * actions, scheduled retraining) asks `isLeader()` first.
 */
export class Leadership {
  readonly identity: string;
  private readonly elector?: LeaderElector;
  private leading = false;
  private round?: Promise<void>;
  private stopTimer?: () => void;
  private readonly gained: Array<() => void> = [];

  constructor(private readonly deps: LeadershipDeps) {
    this.elector = deps.elector;
    this.identity = deps.identity;
    const leadership = this;
    new Gauge({
      name: 'failureprophet_leader',
      help: 'Whether this replica leads (1) or follows (0): only the leader executes healing actions and runs scheduled retraining',
      labelNames: ['identity'],
      registers: [deps.metrics],
      collect() {
        this.set({ identity: leadership.identity }, leadership.isLeader() ? 1 : 0);
      },
    });
  }

  role(): LeaderRole {
    if (!this.elector) {
      return 'single';
    }
    return this.isLeader() ? 'leader' : 'follower';
  }

  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : true;
  }

  /** When this replica's unbroken lead began (elector.ts); undefined while it follows, and with no election. */
  leadingSince(): number | undefined {
    return this.elector?.leadingSince();
  }

  /** Why the last round did not lead, for the log and the operator; undefined while leading. */
  lastError(): string | undefined {
    return this.elector?.lastError();
  }

  /** Set when who leads could not be found out at all, as a phrase fit for the public /readyz. */
  undetermined(): string | undefined {
    return this.elector?.undetermined();
  }

  /** `fn` runs each time this replica becomes leader (e.g. to execute what waits at once). */
  onGained(fn: () => void): void {
    this.gained.push(fn);
  }

  /** Campaigns at once, then every renew interval. */
  start(): void {
    if (!this.elector) {
      return;
    }
    void this.campaign();
    this.stopTimer = this.deps.clock.every(this.deps.renewIntervalMs, () => void this.campaign());
  }

  /** One round, unless one is in flight (then that one). Never rejects. */
  campaign(): Promise<void> {
    const elector = this.elector;
    if (!elector) {
      return Promise.resolve();
    }
    this.round ??= elector
      .campaign()
      .then(() => this.observe())
      .catch((err: unknown) => this.deps.logger.error({ err }, 'leader election round failed unexpectedly'))
      .finally(() => {
        this.round = undefined;
      });
    return this.round;
  }

  /** No more rounds; this replica keeps leading until release() or until its lease runs out. */
  async stop(): Promise<void> {
    this.stopTimer?.();
    this.stopTimer = undefined;
    await this.round;
  }

  /** Gives leadership up (after stop() and after the engine stopped), so the next replica takes over at once. */
  async release(): Promise<void> {
    if (!this.elector) {
      return;
    }
    const was = this.elector.isLeader();
    await this.elector.release();
    this.leading = false;
    if (was) {
      this.deps.logger.info({ identity: this.identity }, 'leadership released: the next replica takes over at once');
    }
  }

  private observe(): void {
    const now = this.isLeader();
    if (now === this.leading) {
      return;
    }
    this.leading = now;
    if (now) {
      this.deps.logger.info({ identity: this.identity }, 'leadership gained: this replica executes healing actions');
      for (const fn of this.gained) {
        fn();
      }
    } else {
      this.deps.logger.warn(
        { identity: this.identity, reason: this.lastError() },
        'leadership lost: this replica stops executing healing actions'
      );
    }
  }
}

/** The one Kubernetes client of a backend (Leases, watch sharing, healing) and the Leases' namespace. */
export interface LeaseSpace {
  client: KubeClient;
  namespace: string;
}

/**
 * The elector the config asks for: a Lease when Kubernetes is configured, a PostgreSQL advisory
 * lock when only store.url is, else none (one replica that always leads, said once in the log).
 */
/**
 * Where the replicas' Leases live when a Kubernetes API is configured (the leader's Lease and the
 * members' Leases of watch sharing): its client and namespace; undefined without Kubernetes.
 */
export function leaseSpace(config: Config, clock: Clock): LeaseSpace | undefined {
  if (!config.kubernetes) {
    return undefined;
  }
  let kc;
  try {
    kc = createKubeConfig(config.kubernetes);
  } catch (err) {
    throw new LeadershipConfigError(`cannot set up Kubernetes access (${config.kubernetes.mode}): ${messageOf(err)}`);
  }
  // In a pod, the service account's namespace (client-node reads its file into the context).
  const namespace =
    config.coordination.leaseNamespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  return { client: createKubeClient(kc, { requestTimeoutMs: config.kubernetes.requestTimeoutMs, clock }), namespace };
}

/** This replica's name among the replicas: `POD_NAME` (coordination.identity), else the host name. */
export const replicaIdentity = (config: Config) => config.coordination.identity ?? hostname();

export function buildLeadership(deps: {
  config: Config;
  clock: Clock;
  logger: Logger;
  metrics: Registry;
  /** Where the Leases live, as assembly built it once for every part (else built here from the config). */
  space?: LeaseSpace;
}): Leadership {
  const { config, clock, metrics } = deps;
  const logger = deps.logger.child({ part: 'leadership' });
  const c = config.coordination;
  const identity = replicaIdentity(config);
  let elector: LeaderElector | undefined;
  const space = deps.space ?? leaseSpace(config, clock);
  if (space) {
    const { client, namespace } = space;
    elector = new LeaseElector({
      client,
      namespace,
      name: c.leaseName,
      identity,
      leaseDurationSeconds: c.leaseDuration / 1000,
      renewDeadlineMs: c.renewDeadline,
    });
    logger.info(
      { identity, lease: `${namespace}/${c.leaseName}` },
      `leader election on Lease ${namespace}/${c.leaseName} as ${identity}`
    );
  } else if (config.store.url) {
    elector = new AdvisoryLockElector({
      url: config.store.url,
      identity,
      staleAfterMs: c.renewDeadline,
      releaseAfterMs: c.leaseDuration,
      now: clock.now,
    });
    logger.info(
      { identity, postgres: describeUrl(config.store.url) },
      `leader election on a PostgreSQL advisory lock as ${identity}`
    );
  } else {
    logger.info(
      'single replica: this one always leads; to run replicas, give them one PostgreSQL (FP_DATABASE_URL) and, in Kubernetes, a Lease (deploy/rbac.yaml)'
    );
  }
  return new Leadership({ identity, elector, clock, logger, metrics, renewIntervalMs: c.renewInterval });
}
