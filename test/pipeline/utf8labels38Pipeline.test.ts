import type { PipelineRepository } from '../../src/server/pipeline/store/repository';
import type { RangeQuerier } from '../../src/server/pipeline/watchRunner';
import { openPostgresStore } from '../../src/server/store/postgres';
import { PostgresPipelineRepository } from '../../src/server/store/postgres/pipeline';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { postgresForTests } from '../harness/postgres';
import { sampledQuerier } from '../harness/spikingFleet';
import { buildPipeline, MINUTE, TestClock, type Harness } from './helpers';
import { parsed } from './utf8labels38Grammar';

// A watch whose target and peer labels are OpenTelemetry's UTF-8 names, run on each store: its targets
// are named by ids that write those names quoted, keep them across a restart, and "Retrain now" on one
// reads it alone with PromQL that Prometheus 3's grammar takes.
const NOW = Date.UTC(2025, 8, 1, 12);
const SERVICES = ['cart', 'web', 'say "hi", {x="y"}'];
const config = {
  watches: [
    {
      name: 'otel',
      queries: { latency: 'histogram_quantile(0.99, sum by (le, "service.name") (rate({"http.duration"}[5m])))' },
      target: ['k8s.namespace.name', 'service.name'],
      peers: ['k8s.namespace.name'],
      step: '1m',
      history: '3h',
      lag: 0,
      probation: 60,
      detector: 'zscore',
    },
  ],
};
const ids = SERVICES.map((s) => `otel{"k8s.namespace.name"="shop","service.name"=${JSON.stringify(s)}}`);

/** The services' series, answering every query; the queries asked are kept. */
function recorded(): { querier: RangeQuerier; queries: string[] } {
  const queries: string[] = [];
  const series = sampledQuerier(
    SERVICES.map((service, k) => ({
      labels: { 'k8s.namespace.name': 'shop', 'service.name': service },
      value: (t: number) => 100 + 10 * k + Math.sin(t / (5 * MINUTE) + k),
    }))
  );
  return {
    queries,
    querier: {
      queryRange: (q, abort) => {
        queries.push(q.query);
        return series.queryRange(q, abort);
      },
    },
  };
}

const postgres = postgresForTests();

const stores: Record<
  string,
  () => Promise<{ repository?: (clock: TestClock) => PipelineRepository; close(): Promise<void> }>
> = {
  SQLite: async () => ({ close: async () => undefined }),
  PostgreSQL: async () => {
    const store = await openPostgresStore(await postgres().createDatabase('utf8labels'), {
      secrets: ephemeralSecretBox(),
      limits: { maxConnections: 3 },
    });
    return {
      repository: (clock) => new PostgresPipelineRepository(store.pool, store.where, 4, () => clock.now()),
      close: () => store.close(),
    };
  },
};

describe.each(Object.keys(stores))('UTF-8 target labels on %s', (kind) => {
  it('names, keeps and retrains the targets of a watch on UTF-8 label names', async () => {
    const store = await stores[kind]();
    const clock = new TestClock(NOW);
    const { querier, queries } = recorded();
    const open = (dataDir?: string) =>
      buildPipeline(config, clock, {
        dataDir,
        extra: { querierFor: () => querier, ...(store.repository && { repository: store.repository(clock) }) },
      });
    const targetIds = (of: Harness) =>
      of.pipeline
        .targets()
        .map((t) => t.id)
        .sort();
    let h = open();
    try {
      await h.pipeline.runOnce();
      expect(targetIds(h)).toEqual([...ids].sort());

      // Restarted: the stored targets are read back under the same ids, and "Retrain now" reads only one.
      await h.close();
      h = open(h.dataDir);
      // Restoring again only waits for the restore the harness began (it replaces memory with the store).
      await h.pipeline.init();
      expect(targetIds(h)).toEqual([...ids].sort());
      queries.length = 0;
      expect(await h.pipeline.retrain({ target: ids[2] }, 'on_demand')).toEqual({ trained: 1, failed: [] });
      expect(queries.length).toBeGreaterThan(0);
      for (const query of queries) {
        expect(query).toContain('and on("k8s.namespace.name", "service.name")');
        parsed(query);
      }
      const models = await h.pipeline.models({ target: ids[2], status: 'active', limit: 1 });
      expect(models).toMatchObject([{ target: ids[2], reason: 'on_demand', version: 2 }]);
    } finally {
      await h.close(true);
      await store.close();
    }
  });
});
