import { Observable } from 'rxjs';
import {
  config,
  setBackendSrv,
  setDataSourceSrv,
  type BackendSrv,
  type BackendSrvRequest,
  type DataSourceSrv,
  type FetchResponse,
  type GetDataSourceListFilters,
} from '@grafana/runtime';
import { PluginType, setTimeZoneResolver, type DataSourceInstanceSettings } from '@grafana/data';

export interface HarnessGlobals {
  pluginId: string;
  settings: {
    enabled: boolean;
    pinned: boolean;
    jsonData: Record<string, unknown>;
    secureJsonFields: Record<string, boolean>;
  };
  dataSources: Array<{ uid: string; name: string; type: string }>;
}

export const harness = (window as unknown as { __harness: HarnessGlobals }).__harness;

/**
 * Grafana's runtime services as the app uses them, over the stub server: backendSrv.fetch is a
 * real HTTP call (so the plugin proxy, the settings API and the backend all answer for real),
 * and the data source list comes from the stub's data sources.
 */
export function installGrafanaRuntime(): void {
  setBackendSrv({ fetch: fetchObservable } as unknown as BackendSrv);
  // As Grafana does at start (public/app/app.ts): times default to the user's time zone preference.
  setTimeZoneResolver(() => config.bootData.user.timezone);
  setDataSourceSrv(fakeDataSourceSrv(harness.dataSources.map(instanceSettings)));
}

function fetchObservable<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
  return new Observable((subscriber) => {
    const controller = new AbortController();
    const url = new URL(options.url, window.location.origin);
    for (const [key, value] of Object.entries(options.params ?? {})) {
      if (value !== undefined && value !== null) {
        url.searchParams.set(key, String(value));
      }
    }
    const method = options.method ?? 'GET';
    const hasBody = options.data !== undefined && method !== 'GET';
    fetch(url, {
      method,
      signal: controller.signal,
      headers: hasBody ? { 'Content-Type': 'application/json' } : undefined,
      body: hasBody ? JSON.stringify(options.data) : undefined,
    })
      .then(async (response) => {
        const text = await response.text();
        let data: unknown = text;
        if ((response.headers.get('content-type') ?? '').includes('json') && text) {
          data = JSON.parse(text);
        }
        if (!response.ok) {
          // Grafana's FetchError shape.
          subscriber.error({ status: response.status, statusText: response.statusText, data, config: options });
          return;
        }
        subscriber.next({
          data: data as T,
          status: response.status,
          statusText: response.statusText,
          ok: true,
          headers: response.headers,
          redirected: response.redirected,
          type: response.type,
          url: response.url,
          config: options,
        });
        subscriber.complete();
      })
      .catch((err: Error) => {
        if (err.name !== 'AbortError') {
          subscriber.error({ status: 0, statusText: err.message, data: { message: err.message }, config: options });
        }
      });
    return () => controller.abort();
  });
}

function instanceSettings(ds: { uid: string; name: string; type: string }): DataSourceInstanceSettings {
  return {
    id: 0,
    uid: ds.uid,
    name: ds.name,
    type: ds.type,
    access: 'proxy',
    readOnly: false,
    jsonData: {},
    meta: {
      id: ds.type,
      name: ds.type,
      type: PluginType.datasource,
      module: '',
      baseUrl: '',
      metrics: true,
      info: {
        author: { name: 'Grafana Labs' },
        description: '',
        links: [],
        logos: { small: '', large: '' },
        screenshots: [],
        updated: '',
        version: '',
      },
    },
  } as DataSourceInstanceSettings;
}

function fakeDataSourceSrv(list: DataSourceInstanceSettings[]): DataSourceSrv {
  const find = (ref: unknown) => {
    const key = typeof ref === 'string' ? ref : (ref as { uid?: string } | null | undefined)?.uid;
    return list.find((ds) => ds.uid === key || ds.name === key);
  };
  return {
    get: () => Promise.reject(new Error('queries are not part of the browser test')),
    getList: (filters: GetDataSourceListFilters = {}) =>
      list.filter((ds) => {
        const types = filters.type === undefined ? undefined : ([] as string[]).concat(filters.type);
        return (!types || types.includes(ds.type)) && (!filters.filter || filters.filter(ds));
      }),
    getInstanceSettings: find,
    reload: () => undefined,
    registerRuntimeDataSource: () => undefined,
  } as DataSourceSrv;
}
