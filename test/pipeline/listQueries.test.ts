import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { anomaliesResponseSchema, type AnomaliesQuery, type Severity } from '../../src/contract/pipeline';
import { pipelineRoutes } from '../../src/server/http/routes/pipeline';
import type { App } from '../../src/server/http/server';
import { anomaliesSql } from '../../src/server/pipeline/store/anomalyTable';
import { SqlitePipelineRepository } from '../../src/server/pipeline/store/sqliteRepository';
import type { AnomalyRecord } from '../../src/server/pipeline/targetModel';
import { openSqliteStore, type SqliteStore } from '../../src/server/store/sqlite';
import { AUTH, injectingApp } from '../harness/server';
import { buildPipeline, MINUTE, TestClock, type Harness } from './helpers';

const T0 = Date.UTC(2025, 4, 1);
const SEVERITIES: Severity[] = ['low', 'medium', 'high', 'critical'];
const CURSOR = Buffer.from(JSON.stringify([T0, 5])).toString('base64url');

function anomaly(i: number): AnomalyRecord {
  return {
    targetId: `w${i % 3}{job="j${i % 7}"}`,
    watch: `w${i % 3}`,
    labels: { job: `j${i % 7}` },
    // Every fifth anomaly starts at the same minute as the one before: ties the id must break.
    start: T0 + (i - Math.floor(i / 5)) * MINUTE,
    end: T0 + (i - Math.floor(i / 5)) * MINUTE + 3 * MINUTE,
    peakScore: 0.5,
    severity: SEVERITIES[i % 4],
    failureModel: 'byzantine',
    state: i % 9 === 0 ? 'open' : 'closed',
    signals: ['x'],
    direction: 'above',
    reasons: [],
  };
}

/** The query plan's lines, e.g. "SEARCH anomalies USING INDEX anomalies_watch_start (watch=?)". */
function plan(store: SqliteStore, sql: string, params: unknown[]): string[] {
  return (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map(
    (r) => r.detail
  );
}

describe('list queries: indexes and keyset pages', () => {
  let dir: string;
  let store: SqliteStore;
  let repo: SqlitePipelineRepository;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fp-lists-'));
    store = openSqliteStore(dir, () => T0);
    repo = new SqlitePipelineRepository(store.db, () => T0);
    // Twice the same rows: the upsert on (target, start) keeps one each, as a replay would.
    for (const pass of [0, 1]) {
      await repo.commitCycle({
        watch: 'w0',
        lastProcessed: T0,
        targets: [],
        anomalies: Array.from({ length: 230 }, (_, i) => anomaly(i)).filter((a) => pass === 0 || a.start % 2 === 0),
        predictions: [],
        forgotten: [],
      });
    }
    store.db.exec('ANALYZE');
  });
  afterAll(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const forms: Array<[string, Partial<AnomaliesQuery>]> = [
    ['no filter', {}],
    ['a time range', { from: T0 + 10 * MINUTE, to: T0 + 90 * MINUTE }],
    ['a target', { target: 'w1{job="j1"}' }],
    ['a watch', { watch: 'w2' }],
    ['a severity', { severity: 'high' }],
    ['a state', { state: 'open' }],
    ['a watch and a state', { watch: 'w1', state: 'closed' }],
    ['a page after a cursor', { cursor: CURSOR }],
    ['a watch, a time range and a cursor', { watch: 'w0', from: T0, cursor: CURSOR }],
  ];

  it.each(forms)('reads the anomalies of %s from an index, without a scan of the table or a sort', (_name, q) => {
    const { sql, params } = anomaliesSql(q, 101);
    const lines = plan(store, sql, params);
    expect(lines.join('\n')).not.toMatch(/TEMP B-TREE/);
    for (const line of lines.filter((l) => l.startsWith('SCAN'))) {
      expect(line).toMatch(/USING (COVERING )?INDEX/);
    }
  });

  it('pages through every anomaly once, newest first, ties broken by id, with and without filters', async () => {
    for (const filter of [{}, { watch: 'w1' }, { state: 'closed' as const }, { severity: 'low' as const }]) {
      const all = await repo.anomalies({ ...filter, limit: 5000 });
      const paged = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await repo.anomalyPage({ ...filter, limit: 17, cursor });
        expect(page.anomalies.length).toBeLessThanOrEqual(17);
        paged.push(...page.anomalies);
        cursor = page.next ?? undefined;
        pages++;
      } while (cursor !== undefined);
      expect(paged.map((a) => a.id)).toEqual(all.map((a) => a.id));
      expect(pages).toBe(Math.max(1, Math.ceil(all.length / 17)));
      const keys = all.map((a) => [a.start, a.id]);
      expect(keys).toEqual([...keys].sort((x, y) => y[0] - x[0] || y[1] - x[1]));
    }
    expect((await repo.anomalies({})).length).toBe(230);
  });

  describe('over HTTP', () => {
    let h: Harness;
    let app: App;
    beforeAll(async () => {
      h = buildPipeline({ watches: [] }, new TestClock(T0), { dataDir: dir });
      app = await injectingApp({ store: h.store, metrics: new Registry() }, [pipelineRoutes(h.pipeline)]);
    });
    afterAll(async () => {
      await app.close();
      await h.close();
    });

    it('hands out `next` until the last page, keeps the old parameters working, and refuses a cursor it did not make', async () => {
      const first = anomaliesResponseSchema.parse(
        (await app.inject({ url: '/api/anomalies?limit=100&watch=w0', headers: AUTH })).json()
      );
      expect(first.anomalies).toHaveLength(77);
      expect(first.next).toBeNull();
      const page = anomaliesResponseSchema.parse(
        (await app.inject({ url: '/api/anomalies?limit=200', headers: AUTH })).json()
      );
      expect(page.anomalies).toHaveLength(200);
      const rest = anomaliesResponseSchema.parse(
        (await app.inject({ url: `/api/anomalies?limit=200&cursor=${page.next}`, headers: AUTH })).json()
      );
      expect(rest.anomalies).toHaveLength(30);
      expect(rest.next).toBeNull();
      for (const bad of ['nonsense', Buffer.from('["a","b"]').toString('base64url')]) {
        const res = await app.inject({ url: `/api/anomalies?cursor=${bad}`, headers: AUTH });
        expect(res.statusCode).toBe(400);
        expect(res.json().message).toMatch(/cursor/);
      }
      const targets = await app.inject({
        url: `/api/targets?cursor=${Buffer.from('["w","gone"]').toString('base64url')}`,
        headers: AUTH,
      });
      expect(targets.statusCode).toBe(400);
      expect(targets.json().message).toMatch(/no longer watched/);
    });
  });
});
