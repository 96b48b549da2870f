import { urlUtil } from '@grafana/data';

/** A Grafana Explore URL showing `queries` from the given Prometheus data source over [from, to]. */
export function exploreUrl(datasourceUid: string, queries: string[], from: number, to: number): string {
  const panes = {
    fp: {
      datasource: datasourceUid,
      queries: queries.map((expr, i) => ({
        refId: String.fromCharCode(65 + i),
        expr,
        datasource: { type: 'prometheus', uid: datasourceUid },
      })),
      range: { from: String(from), to: String(to) },
    },
  };
  return urlUtil.renderUrl('/explore', { schemaVersion: 1, panes: JSON.stringify(panes) });
}
