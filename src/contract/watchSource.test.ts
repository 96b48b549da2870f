import { watchDefinitionSchema } from './watches';

const WATCH = { name: 'web', queries: { latency: 'up' } };
const proxyPath = (uid: string): string =>
  new URL(`http://grafana:3000/api/datasources/proxy/uid/${encodeURIComponent(uid)}/api/v1/query_range`).pathname;

describe("a watch's Grafana data source", () => {
  it('refuses a uid that would leave its path segment of the data-source proxy URL, and takes the others', () => {
    // What the URL standard does with each: dot segments collapse, whatever the encoding.
    expect(proxyPath('..')).toBe('/api/datasources/proxy/api/v1/query_range');
    expect(proxyPath('.')).toBe('/api/datasources/proxy/uid/api/v1/query_range');
    for (const uid of ['.', '..']) {
      const result = watchDefinitionSchema.safeParse({ ...WATCH, source: { grafana: uid } });
      expect(result.error?.issues).toEqual([
        expect.objectContaining({
          path: ['source', 'grafana'],
          message: 'a Grafana data source uid, not a dot segment (. or ..)',
        }),
      ]);
    }
    for (const uid of ['P1809F7CD0C75ACF3', 'prom_main-2', '...', 'a/b']) {
      expect(watchDefinitionSchema.parse({ ...WATCH, source: { grafana: uid } }).source).toEqual({ grafana: uid });
      expect(proxyPath(uid).split('/')).toHaveLength(9);
    }
  });
});
