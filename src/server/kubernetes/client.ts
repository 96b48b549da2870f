import {
  AppsV1Api,
  ConfigurationOptions,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  ObservableMiddleware,
  PatchStrategy,
  setHeaderMiddleware,
} from '@kubernetes/client-node';
import { isK8sName } from '../../contract/vocabulary';
import { type Clock, systemClock } from '../clock';
import { createKubeConfig, KubernetesOptions } from './config';
import { fail, KubeRequest, KubeResult, ok, toKubeError } from './errors';
import { failureAsError } from './failedStatus';
import { OVERLOAD_ATTEMPTS, overloadWaitMs } from './overload';

/** What every action gets: the APIs, where they point, how long a request may take, and time. */
export interface KubeClient {
  core: CoreV1Api;
  apps: AppsV1Api;
  /** Leases: which replica leads (src/server/coordination/lease.ts). */
  coordination: CoordinationV1Api;
  server: string;
  requestTimeoutMs: number;
  clock: Clock;
}

export function createKubeClient(
  kc: KubeConfig,
  settings: { requestTimeoutMs?: number; clock?: Clock } = {}
): KubeClient {
  return {
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    server: kc.getCurrentCluster()?.server ?? 'unknown',
    requestTimeoutMs: settings.requestTimeoutMs ?? 10_000,
    clock: settings.clock ?? systemClock,
  };
}

export function kubeClientFromOptions(options: KubernetesOptions, clock?: Clock): KubeClient {
  return createKubeClient(createKubeConfig(options), { requestTimeoutMs: options.requestTimeoutMs, clock });
}

/**
 * Per-request options: a User-Agent the API server's audit log can attribute, a timeout on the
 * client's clock (the library has none of its own), a 2xx Failure Status read as the error it is
 * (failedStatus.ts), and for patches the Content-Type, which the client would otherwise send as a
 * JSON Patch whatever the body is.
 */
function requestOptions(client: KubeClient, patch?: PatchStrategy): ConfigurationOptions<ObservableMiddleware> {
  const userAgent = setHeaderMiddleware('User-Agent', 'failureprophet');
  const middleware: ObservableMiddleware[] = [
    {
      pre: (context) => {
        context.setSignal(client.clock.timeout(client.requestTimeoutMs));
        return userAgent.pre(context);
      },
      post: failureAsError,
    },
  ];
  if (patch) {
    middleware.push(setHeaderMiddleware('Content-Type', patch));
  }
  return { middleware, middlewareMergeStrategy: 'append' };
}

/**
 * Runs one API request and turns a failure into a KubeError value; sent again after the server's
 * Retry-After when its overload filters turned it away (overload.ts). A namespace or name that is not a
 * Kubernetes name is refused unsent: the client puts it in the path percent-encoded but with its dots,
 * so '.' and '..' address the collection or the namespace instead of the object.
 */
export async function call<T>(
  client: KubeClient,
  request: KubeRequest,
  send: (options: ConfigurationOptions<ObservableMiddleware>) => Promise<T>,
  patch?: PatchStrategy
): Promise<KubeResult<T>> {
  const misnamed =
    request.namespace !== undefined && !isK8sName(request.namespace, 'namespace')
      ? `namespace ${JSON.stringify(request.namespace)}`
      : request.name !== undefined && !isK8sName(request.name)
        ? `name ${JSON.stringify(request.name)}`
        : undefined;
  if (misnamed !== undefined) {
    return fail({
      kind: 'bad-request',
      message: `${request.verb} ${request.resource}: ${misnamed} is not a Kubernetes name, so nothing was sent`,
      request,
    });
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return ok(await send(requestOptions(client, patch)));
    } catch (err) {
      const wait = overloadWaitMs(err);
      if (wait === undefined || attempt >= OVERLOAD_ATTEMPTS) {
        return fail(toKubeError(err, request, client.server, client.requestTimeoutMs));
      }
      await client.clock.sleep(wait);
    }
  }
}

/**
 * fieldValidation for every patch the actions send: a field the server's type does not have fails the
 * request (422, `strict decoding error: unknown field "spec.replicaz"`: apiserver endpoints/handlers/
 * patch.go) instead of being dropped with a warning nobody reads, which is what the default (Warn,
 * handlers/rest.go, fieldValidation) does: a misspelt patch would otherwise "succeed" and change nothing.
 */
export const FIELD_VALIDATION = 'Strict';

/** The query value the API server takes for a server-side dry run. */
export const dryRunParam = (dryRun: boolean | undefined) => (dryRun ? 'All' : undefined);
