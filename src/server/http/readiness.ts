import { codeOf, messageOf } from '../../utils/messageOf';
import type { Readiness, ReadinessQuery } from '../../contract/health';
import type { WatchStatus } from '../../contract/pipeline';
import type { PrometheusClient } from '../prometheus/client';
import { PrometheusError } from '../prometheus/types';
import { StoreBusyError } from '../store/postgres/pool';
import { postgresRefusalReason } from '../store/postgres/refusals';
import type { Store } from '../store/store';
import { sqliteReason, StoreNotWritableError, type StoreWriteHealth } from '../store/writeHealth';
import type { Leadership } from '../coordination/leadership';

export interface ReadinessDeps {
  /** `writeHealth` absent: no storeWrites check reported. */
  store: Pick<Store, 'ping'> & { writeHealth?: Pick<StoreWriteHealth, 'check'> };
  /** Absent when no Prometheus URL is configured. */
  prometheus?: Pick<PrometheusClient, 'ping'>;
  /** The pipeline's watches as they run now. */
  watchStatus?: () => WatchStatus[];
  /** Which replica leads (coordination/leadership.ts); absent: not reported. */
  leadership?: Pick<Leadership, 'role' | 'undetermined'>;
}

type WatchErrorKind = NonNullable<WatchStatus['lastError']>['kind'];

/** One short phrase per kind of watch failure: no URL and no upstream text, even to the API token's holder. */
const WATCH_REASONS: Record<WatchErrorKind, string> = {
  query: 'its data source refuses a query',
  http: 'its data source answers with an HTTP error',
  malformed: 'its data source answers something that is not a Prometheus answer',
  timeout: 'its data source does not answer in time',
  unreachable: 'its data source does not answer',
  internal: 'an internal error (see the backend log)',
  too_large: 'its data source answers more than prometheus.maxResponseBytes',
  unconfigured: 'its data source is not configured',
};

/**
 * What /readyz says. It is unauthenticated, so every message is a fixed phrase with a kind
 * ("prometheus does not answer (timeout)"), never the URL or what the upstream answered; the
 * details are in the log and in GET /api/watches.
 */
export async function checkReadiness(deps: ReadinessDeps, query: ReadinessQuery = {}): Promise<Readiness> {
  const degradedWatches = (deps.watchStatus?.() ?? [])
    .filter((w) => w.degraded)
    .map((w) => ({ name: w.name, reason: w.lastError ? WATCH_REASONS[w.lastError.kind] : 'degraded' }));
  // Both asked at once: a probe waits for the slower, not for the two in turn.
  const [store, prometheus] = await Promise.all([storeCheck(deps.store), prometheusCheck(deps.prometheus)]);
  const storeWrites = deps.store.writeHealth && storeWritesCheck(deps.store.writeHealth);
  const leadership = deps.leadership && leadershipCheck(deps.leadership);
  const checks: Readiness['checks'] = {
    store,
    ...(storeWrites ? { storeWrites } : {}),
    prometheus,
    ...(leadership ? { leadership } : {}),
  };
  const excluded = new Set<string>([query.exclude ?? []].flat());
  const failing = Object.entries(checks).filter(([name, check]) => !check.ok && !excluded.has(name));
  return {
    status: failing.length === 0 ? 'ready' : 'not_ready',
    checks,
    degradedWatchCount: degradedWatches.length,
    degradedWatches,
  };
}

/**
 * What /readyz tells a caller without the API token: the checks and how many watches are degraded, not which.
 * A watch's name says what is watched (a team, a service, a customer) to anyone who reaches the port, and a
 * probe reads only the status code. The same line as kube-apiserver's /readyz?verbose, which lists its checks
 * to anyone but says "[-]etcd failed: reason withheld" (the reason goes to its log), and Grafana's /api/health,
 * which leaves out its version and commit with [auth.anonymous] hide_version.
 */
export function withoutWatchNames(readiness: Readiness): Readiness {
  const { degradedWatches: _names, ...rest } = readiness;
  return rest;
}

/**
 * A call shared by the requests that run together, for the public routes that are never shed (/readyz's
 * pings, /metrics' render): a flood of them costs Prometheus (and a PostgreSQL store) one request at a
 * time, not one each. No answer outlives its request.
 */
export function sharedCall<T>(call: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () =>
    (inFlight ??= call().finally(() => {
      inFlight = undefined;
    }));
}

/** The checks' dependencies with the store's and Prometheus' pings shared (`sharedCall`). */
export function sharedPings(deps: ReadinessDeps): ReadinessDeps {
  const { store, prometheus } = deps;
  return {
    ...deps,
    store: { ping: sharedCall(() => store.ping()), writeHealth: store.writeHealth },
    prometheus: prometheus && { ping: sharedCall(() => prometheus.ping()) },
  };
}

async function storeCheck(store: ReadinessDeps['store']): Promise<Readiness['checks']['store']> {
  try {
    await store.ping();
    return { ok: true };
  } catch (err) {
    // A pool in use to the last connection is load the shedding answers: out of the Service, every
    // replica sharing the database would follow it, and the reads that still work with them.
    return err instanceof StoreBusyError
      ? { ok: true, message: 'store busy (every connection of the pool in use)' }
      : { ok: false, message: `store does not answer (${storeFailure(err)})` };
  }
}

async function prometheusCheck(prometheus: ReadinessDeps['prometheus']): Promise<Readiness['checks']['prometheus']> {
  if (!prometheus) {
    return {
      ok: false,
      message:
        'no Prometheus configured: set FP_PROMETHEUS_URL (e.g. http://localhost:9090) or prometheus.url in the FP_CONFIG file',
    };
  }
  try {
    await prometheus.ping();
    return { ok: true };
  } catch (err) {
    return { ok: false, message: `prometheus does not answer (${prometheusFailure(err)})` };
  }
}

/**
 * A store that answers but cannot write (a full disk, a read-only database) still serves every read:
 * its own check, so a probe can leave it out of the verdict (`exclude=storeWrites`) and keep reporting it.
 */
function storeWritesCheck(health: Pick<StoreWriteHealth, 'check'>): Readiness['checks']['store'] {
  try {
    health.check();
    return { ok: true };
  } catch (err) {
    return {
      ok: false,
      message: `store cannot write (${err instanceof StoreNotWritableError ? err.reason : 'error'})`,
    };
  }
}

/** A follower is ready (every replica serves the API); a replica that cannot find out who leads is not. */
function leadershipCheck(leadership: NonNullable<ReadinessDeps['leadership']>): Readiness['checks']['leadership'] {
  const role = leadership.role();
  const unknown = role === 'follower' ? leadership.undetermined() : undefined;
  if (unknown) {
    return { ok: false, role, message: `cannot tell which replica leads: ${unknown}` };
  }
  return {
    ok: true,
    role,
    ...(role === 'follower' ? { message: 'another replica leads and executes healing actions' } : {}),
  };
}

function prometheusFailure(err: unknown): string {
  if (!(err instanceof PrometheusError)) {
    return 'error';
  }
  switch (err.kind) {
    case 'timeout':
      return 'timeout';
    case 'http':
      return `http ${err.status ?? 'error'}`;
    case 'malformed':
      return 'malformed answer';
    case 'too_large':
      return 'answer too large';
    case 'query':
      return 'query refused';
    case 'unreachable':
      // The client keeps the system error code only in its message.
      return /ECONNREFUSED/.test(err.message)
        ? 'refused'
        : /ENOTFOUND|EAI_AGAIN/.test(err.message)
          ? 'unknown host'
          : /ECONNRESET|EPIPE|socket/i.test(err.message)
            ? 'connection reset'
            : 'unreachable';
  }
}

function storeFailure(err: unknown): string {
  const code = codeOf(err);
  if (code?.startsWith('SQLITE_')) {
    return sqliteReason(code);
  }
  return postgresRefusalReason(err) ?? (/not open/i.test(messageOf(err)) ? 'closed' : 'error');
}
