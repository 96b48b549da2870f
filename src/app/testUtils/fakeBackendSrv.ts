import { Observable } from 'rxjs';
import { setBackendSrv, type BackendSrv, type BackendSrvRequest, type FetchResponse } from '@grafana/runtime';
import { BACKEND_PROXY_URL } from '../../constants';

/** What a fake route answers: a status (200 when absent) and a JSON body. */
export interface FakeReply {
  status?: number;
  data?: unknown;
}

export type FakeRoute = (request: BackendSrvRequest) => FakeReply | Promise<FakeReply>;

/**
 * Installs a BackendSrv whose `fetch` answers from `routes`, keyed by "METHOD url" where a url
 * under the plugin proxy may be written without its prefix ("GET api/targets"). Errors come back
 * as Grafana's FetchError does (status, statusText, data), so the code under test sees what it
 * would see in Grafana. Returns the jest.fn so a test can assert what was sent.
 */
export function installFakeBackendSrv(routes: Record<string, FakeRoute | FakeReply>) {
  const fetch = jest.fn((request: BackendSrvRequest) => {
    return new Observable<FetchResponse>((subscriber) => {
      const method = (request.method ?? 'GET').toUpperCase();
      const route = routes[`${method} ${request.url}`] ?? routes[`${method} ${stripProxy(request.url)}`];
      const reply = Promise.resolve(
        typeof route === 'function'
          ? route(request)
          : (route ?? { status: 404, data: { message: `no fake route for ${method} ${request.url}` } })
      );
      reply.then(
        ({ status = 200, data }) => {
          if (status >= 400) {
            subscriber.error({ status, statusText: `HTTP ${status}`, data, config: request });
            return;
          }
          subscriber.next({
            data,
            status,
            statusText: 'OK',
            ok: true,
            headers: new Headers(),
            redirected: false,
            type: 'basic',
            url: request.url,
            config: request,
          });
          subscriber.complete();
        },
        (err) => subscriber.error(err)
      );
    });
  });
  setBackendSrv({ fetch } as unknown as BackendSrv);
  return fetch;
}

function stripProxy(url: string): string {
  return url.startsWith(`${BACKEND_PROXY_URL}/`) ? url.slice(BACKEND_PROXY_URL.length + 1) : url;
}

/** The requests a fake received for one route, for assertions. */
export function requestsTo(
  fetch: ReturnType<typeof installFakeBackendSrv>,
  method: string,
  path: string
): BackendSrvRequest[] {
  return fetch.mock.calls
    .map(([request]) => request)
    .filter((r) => (r.method ?? 'GET').toUpperCase() === method && stripProxy(r.url) === path);
}
