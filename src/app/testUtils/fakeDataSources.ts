import { setDataSourceSrv, type DataSourceSrv, type GetDataSourceListFilters } from '@grafana/runtime';
import type { DataSourceInstanceSettings } from '@grafana/data';

/** Installs a DataSourceSrv listing these data sources, filtered by type as Grafana's is. */
export function installFakeDataSources(list: Array<{ uid: string; name: string; type: string }>) {
  const settings = list.map(
    (ds) =>
      ({
        ...ds,
        id: 0,
        access: 'proxy',
        jsonData: {},
        readOnly: false,
        meta: { id: ds.type, info: { logos: { small: '' } } },
      }) as unknown as DataSourceInstanceSettings
  );
  const find = (ref: unknown) => {
    const key = typeof ref === 'string' ? ref : (ref as { uid?: string } | null)?.uid;
    return settings.find((ds) => ds.uid === key || ds.name === key);
  };
  setDataSourceSrv({
    get: () => Promise.reject(new Error('not in unit tests')),
    getList: (filters: GetDataSourceListFilters = {}) =>
      settings.filter((ds) => filters.type === undefined || ([] as string[]).concat(filters.type).includes(ds.type)),
    getInstanceSettings: find,
    reload: () => undefined,
    registerRuntimeDataSource: () => undefined,
  } as DataSourceSrv);
}
