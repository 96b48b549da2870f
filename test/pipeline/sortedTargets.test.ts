import { Writable } from 'node:stream';
import pg from 'pg';
import { targetsResponseSchema, type Target, type TargetSort } from '../../src/contract/pipeline';
import { pipelineRoutes } from '../../src/server/http/routes/pipeline';
import { buildServer } from '../../src/server/http/server';
import { createLogger } from '../../src/server/logger';
import type { PipelineRepository } from '../../src/server/pipeline/store/repository';
import { sortedSummariesSql, sortIndexes } from '../../src/server/pipeline/store/summarySql';
import { targetSummarySortsMigration as sqliteSorts } from '../../src/server/store/migrations/0021_target_summary_sorts';
import { targetSummarySortsMigration as postgresSorts } from '../../src/server/store/postgres/targetSummarySortsMigration';
import type { TargetSummary } from '../../src/server/pipeline/store/summaryTable';
import { sortedAfter } from '../../src/server/pipeline/targetOrder';
import { openPostgresStore } from '../../src/server/store/postgres';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { openSqliteDatabase } from '../../src/server/store/sqlite';
import { cycleWrite, T0, targetSummary } from '../harness/anomalyRecords';
import { postgresForTests } from '../harness/postgres';
import { sampledQuerier } from '../harness/spikingFleet';
import { buildPipeline, MINUTE, TestClock } from './helpers';
import { sharedWatchConfig } from './sharedWatch';

// GET /api/targets?sort=: the Overview's order over the whole fleet, not over the page it read. Each
// listing (memory, SQLite, PostgreSQL) is read page by page through its cursors and must give the
// whole fleet once, in the order computed here from the full list: ties by id in the same direction.

const SORTS: TargetSort[] = ['target', 'score', 'severity', 'timeToFailure', 'openAnomalies'];
const RANK = { low: 0, medium: 1, high: 2, critical: 3 } as const;
const value: Record<TargetSort, (t: Target) => number | string> = {
  target: (t) => t.id,
  score: (t) => t.score,
  severity: (t) => (t.severity ? RANK[t.severity] : -1),
  // No forecast: never, after every crossing.
  timeToFailure: (t) => (t.timeToFailure ? t.timeToFailure.fromMs + t.timeToFailure.seconds * 1000 : Infinity),
  openAnomalies: (t) => t.openAnomalies,
};

function expected(all: Target[], sort: TargetSort, order: 'asc' | 'desc'): string[] {
  const direction = order === 'asc' ? 1 : -1;
  return [...all]
    .sort((a, b) => {
      const [x, y] = [value[sort](a), value[sort](b)];
      return direction * (x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    })
    .map((t) => t.id);
}

/** A listed target of watch `watch` (the fields the sorts read, the rest as a cycle writes them). */
function summary(watch: string, job: string, fields: Partial<Target>): TargetSummary {
  return targetSummary({ id: `${watch}{job="${job}"}`, watch, labels: { job }, ...fields });
}

const ttf = (fromMs: number, seconds: number) => ({
  signal: 'memory',
  limit: 1,
  direction: 'above' as const,
  seconds,
  lowerSeconds: seconds,
  upperSeconds: null,
  fromMs,
});

// 23 targets on two watches: ties on every sort, no severity, no forecast, and two forecasts whose
// seconds order the other way round from their crossings (made at different steps).
const FLEET: TargetSummary[] = Array.from({ length: 23 }, (_, i) =>
  summary(i % 3 ? 'w' : 'v', `j${String(i).padStart(2, '0')}`, {
    score: [0.9, 0.1, 0.5, 0.5, 0.25][i % 5],
    severity: [null, 'low', 'critical', 'high', 'medium', null, 'critical'][i % 7] as Target['severity'],
    failureModel: i % 4 === 0 ? 'crash' : null,
    openAnomalies: i % 2,
    timeToFailure: i % 6 === 0 ? null : i === 1 ? ttf(T0 - 3_600_000, 7200) : ttf(T0, 3600 + (i % 4) * 600),
  })
);
const LISTED = FLEET.map((s) => ({ ...s.target, owner: s.owner }));

/** Every page of a stored listing, following each `next` (decoded as the pipeline decodes it). */
async function storedPages(repo: PipelineRepository, sort: TargetSort, order: 'asc' | 'desc', q?: string) {
  const pages: Target[][] = [];
  let next: string | null = null;
  let total: number | undefined;
  do {
    const page = await repo.targetSummaryPage({
      watches: ['w', 'v'],
      sort,
      order,
      q,
      limit: 4,
      ...(next === null ? {} : { sortedAfter: sortedAfter(sort, order, next) }),
    });
    pages.push(page.targets);
    total = page.total;
    next = page.next;
  } while (next !== null && pages.length < 20);
  return { ids: pages.flat().map((t) => t.id), pages, total };
}

const server = postgresForTests();
let round = 0;
const stores: Record<string, () => Promise<{ repo: PipelineRepository; close(): Promise<void> }>> = {
  SQLite: async () => {
    const store = openSqliteDatabase(':memory:', () => T0);
    return { repo: store.pipeline, close: async () => store.close() };
  },
  PostgreSQL: async () => {
    const url = await server().createDatabase(`sorted${++round}`);
    const store = await openPostgresStore(url, {
      secrets: ephemeralSecretBox(),
      limits: { maxConnections: 2 },
      replica: 'replica-0',
      now: () => T0,
    });
    return { repo: store.pipeline, close: () => store.close() };
  },
};

describe("the sorts' indexes", () => {
  it("are the migrations' text: an index on an expression serves only a query naming the same expression", () => {
    // A sort changed in summarySql.ts fails here: it needs a new migration, not an edit of these.
    expect(sortIndexes('sqlite')).toBe(sqliteSorts.sql);
    expect(sortIndexes('postgres')).toBe(postgresSorts.sql);
  });
});

describe.each(Object.keys(stores))('the stored listing on %s, sorted', (kind) => {
  it('gives the whole fleet once, page by page, in each sort and order, with the count', async () => {
    const { repo, close } = await stores[kind]();
    try {
      await repo.commitCycle(cycleWrite({ summaries: FLEET.filter((s) => s.target.watch === 'w') }, 'w'));
      await repo.commitCycle(cycleWrite({ summaries: FLEET.filter((s) => s.target.watch === 'v') }, 'v'));
      for (const sort of SORTS) {
        for (const order of ['asc', 'desc'] as const) {
          const read = await storedPages(repo, sort, order);
          expect({ sort, order, ids: read.ids }).toEqual({ sort, order, ids: expected(LISTED, sort, order) });
          expect(read.pages.slice(0, -1).every((p) => p.length === 4)).toBe(true);
          expect(read.total).toBe(FLEET.length);
        }
      }
      // Filtered by text (the id in any case, or the failure model), counted as filtered.
      const crash = await storedPages(repo, 'score', 'desc', 'CRASH');
      const matching = LISTED.filter((t) => t.failureModel === 'crash');
      expect(crash.ids).toEqual(expected(matching, 'score', 'desc'));
      expect(crash.total).toBe(matching.length);
      expect((await storedPages(repo, 'target', 'asc', 'J1')).ids).toEqual(
        expected(LISTED, 'target', 'asc').filter((id) => id.includes('j1'))
      );
    } finally {
      await close();
    }
  }, 60_000);
});

// The single process's listing, from memory, over HTTP: a fleet of 24, five a page.
const NOW = Date.UTC(2025, 3, 7, 12);
const JOBS = Array.from({ length: 24 }, (_, k) => `j${String(k).padStart(2, '0')}`);
const querier = sampledQuerier(
  JOBS.map((job, k) => ({
    labels: { job },
    // Jobs 5 and 17 spike (anomalous, scored high); the others wander alike, so scores tie.
    value: (t: number) =>
      50 + (k % 3) + 3 * Math.sin(t / (7 * MINUTE)) + ((k === 5 || k === 17) && t >= NOW - 3 * MINUTE ? 400 : 0),
  }))
);
const config = sharedWatchConfig;
const TOKEN = 'test-token-0123456789abcdef';
const quiet = createLogger('error', new Writable({ write: (_c, _e, done) => done() }));

describe('the listing a single process serves, sorted', () => {
  it('pages the whole fleet in the order asked over HTTP; a cursor of another order is refused', async () => {
    const clock = new TestClock(NOW);
    const h = buildPipeline(config, clock, { extra: { querierFor: () => querier } });
    const app = await buildServer({
      logger: quiet,
      apiToken: TOKEN,
      store: h.store,
      metrics: h.metrics,
      version: 'test',
      authenticatedRoutes: [pipelineRoutes(h.pipeline)],
    });
    const get = (query: string) =>
      app.inject({ url: `/api/targets?${query}`, headers: { authorization: `Bearer ${TOKEN}` } });
    try {
      for (let c = 0; c < 3; c++) {
        await h.pipeline.runOnce();
        clock.advance(MINUTE);
      }
      const all = targetsResponseSchema.parse((await get('limit=1000')).json()).targets;
      expect(all).toHaveLength(JOBS.length);
      expect(all.filter((t) => t.openAnomalies > 0).length).toBeGreaterThan(0);
      for (const sort of SORTS) {
        for (const order of ['asc', 'desc'] as const) {
          const ids: string[] = [];
          let cursor = '';
          do {
            const res = await get(`sort=${sort}&order=${order}&limit=5${cursor && `&cursor=${cursor}`}`);
            expect(res.statusCode).toBe(200);
            const page = targetsResponseSchema.parse(res.json());
            expect(page.total).toBe(JOBS.length);
            ids.push(...page.targets.map((t) => t.id));
            cursor = page.next ?? '';
          } while (cursor && ids.length <= JOBS.length);
          expect({ sort, order, ids }).toEqual({ sort, order, ids: expected(all, sort, order) });
        }
      }
      const first = targetsResponseSchema.parse((await get('sort=score&limit=5')).json());
      expect(first.targets.slice(0, 2).map((t) => t.id)).toEqual(['w{job="j17"}', 'w{job="j05"}']);
      const other = await get(`sort=severity&limit=5&cursor=${first.next}`);
      expect(other.statusCode).toBe(400);
      expect(other.json().message).toMatch(/another order/);
      // The text filter holds on memory's listing too, unsorted or sorted.
      const filtered = targetsResponseSchema.parse((await get('q=J0&limit=3')).json());
      expect(filtered.total).toBe(10);
      expect(filtered.targets.map((t) => t.id)).toEqual(['w{job="j00"}', 'w{job="j01"}', 'w{job="j02"}']);
    } finally {
      await app.close();
      await h.close(true);
    }
  }, 60_000);
});

// A migrated PostgreSQL reads each sort's page from its index, even with a cursor deep in the fleet.
describe('PostgreSQL plans', () => {
  it('reads a deep sorted page on its index', async () => {
    const url = await server().createDatabase('plans');
    const store = await openPostgresStore(url, {
      secrets: ephemeralSecretBox(),
      limits: { maxConnections: 2 },
      replica: 'replica-0',
      now: () => T0,
    });
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await pool.query(`INSERT INTO pipeline_target_summaries (watch, id, owner, severity, anomalous, summary, updated_at)
        SELECT 'w', 'w{job="j' || i || '"}', 'o', NULL, 0,
               jsonb_build_object('score', (i % 97)::float8 / 97, 'openAnomalies', i % 2), 0
          FROM generate_series(1, 20000) i`);
      await pool.query('ANALYZE pipeline_target_summaries');
      const { sql, params } = sortedSummariesSql(
        'postgres',
        'summary::text AS summary, owner',
        { watches: ['w'], sort: 'score', order: 'desc', after: { value: 0.5, id: 'w{job="j500"}' } },
        51
      );
      let n = 0;
      const plan = await pool.query(`EXPLAIN ${sql.replace(/\?/g, () => `$${++n}`)}`, params);
      expect(plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n')).toMatch(
        /Index Scan Backward using pipeline_target_summaries_by_score[\s\S]*Index Cond/
      );
    } finally {
      await pool.end();
      await store.close();
    }
  }, 60_000);
});
