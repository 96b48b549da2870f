import { modelPageSchema, type ModelPage } from '../../src/contract/modelPage';
import type { ModelsQuery, ModelVersion } from '../../src/contract/pipeline';
import { readList } from '../../src/server/http/lists/readers';
import { modelCountSql, modelPageSql, newestRequestsSql } from '../../src/server/pipeline/store/modelPage';
import type { PipelineRepository } from '../../src/server/pipeline/store/repository';
import type { PostgresStore } from '../../src/server/store/postgres';
import type { SqliteStore } from '../../src/server/store/sqlite';
import { assembledStores, type StoreBackend } from '../harness/assembledStores';
import { AUTH } from '../harness/server';
import { TestClock } from './helpers';

// GET /api/models as the Models page reads it on a fleet: each target's current model a page at a
// time, by target or by when it was trained, filtered by target text, with the count and place of the
// page and its targets' newest retrain requests, on both stores; and each page read on an index that
// holds one row a target (migration 0024, PostgreSQL 20), not on every version retrainings left.

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 6, 1);
const TARGETS = 180;
/** A target's id: two watches, and mixed case, which the filter ignores. */
const targetOf = (i: number) => `${i % 2 ? 'latency' : 'Memory'}{pod="pod-${String(i).padStart(3, '0')}"}`;
const watchOf = (i: number) => (i % 2 ? 'latency' : 'memory');
/** Targets whose last training failed after their active version (a failed version is no current one). */
const failedLast = (i: number) => i % 7 === 0;
/** Targets gone: their active version retired. */
const retired = (i: number) => i % 11 === 3;
/** Targets with "Retrain now" queued twice: the newest request is the second. */
const requested = (i: number) => i % 5 === 0;

/**
 * Three versions of each target, the third active; every three targets share their last training
 * time (ties broken by id). Then a failed fourth for some, retirement of others, and requests.
 */
async function fill(repo: PipelineRepository) {
  for (let v = 0; v < 3; v++) {
    for (let i = 0; i < TARGETS; i++) {
      await repo.addModel(version(i, v === 0 ? 'initial' : 'scheduled', T0 + v * 24 * HOUR + Math.floor(i / 3) * 1000));
    }
  }
  for (let i = 0; i < TARGETS; i++) {
    if (failedLast(i)) {
      await repo.addModel({ ...version(i, 'on_demand', T0 + 4 * 24 * HOUR), status: 'failed', error: 'no samples' });
    }
  }
  for (const watch of ['latency', 'memory']) {
    const forgotten = range()
      .filter((i) => retired(i) && watchOf(i) === watch)
      .map(targetOf);
    await repo.commitCycle({ watch, targets: [], anomalies: [], predictions: [], forgotten });
  }
  for (const round of [1, 2]) {
    await repo.queueRetraining(
      range()
        .filter(requested)
        .map((i) => ({
          replica: `pod-${round}`,
          watch: watchOf(i),
          target: targetOf(i),
          requestedBy: 'pod-a',
          requestedAt: T0 + round * HOUR,
        }))
    );
  }
}

const range = () => Array.from({ length: TARGETS }, (_, i) => i);

function version(i: number, reason: 'initial' | 'scheduled' | 'on_demand', trainedAt: number) {
  return {
    watch: watchOf(i),
    targetId: targetOf(i),
    status: 'active' as const,
    reason,
    trainedAt,
    rangeStart: T0 - 7 * 24 * HOUR,
    rangeEnd: trainedAt,
    samples: 100,
    params: {},
    threshold: 0.9,
    feedback: { falsePositive: 0, confirmed: 0 },
  };
}

/** The current models in a sort's order, as the page should list them. */
function expectedOrder(current: ModelVersion[], sort: 'target' | 'trainedAt', order: 'asc' | 'desc') {
  const sign = order === 'asc' ? 1 : -1;
  const value = (m: ModelVersion) => (sort === 'target' ? m.target : m.trainedAt);
  return [...current].sort((a, b) => sign * (value(a) < value(b) ? -1 : value(a) > value(b) ? 1 : a.id - b.id));
}

const opens = assembledStores('modelpages36');

/** A statement with `?` placeholders, as modelPage.ts writes it for either store. */
type Statement = { sql: string; params: unknown[] };

/** The plan a store's database gives a statement. */
function plannerOf(store: SqliteStore | PostgresStore): (statement: Statement) => Promise<string> {
  if (!('pool' in store)) {
    return async ({ sql, params }) =>
      store.db
        .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...params)
        .map((r) => r.detail)
        .join('\n');
  }
  return async ({ sql, params }) => {
    const client = await store.pool.connect();
    try {
      // A test table is too small for the planner to prefer an index: forbid what it would do instead.
      await client.query('SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off');
      let n = 0;
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN ${sql.replace(/\?/g, () => `$${++n}`)}`,
        params
      );
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    } finally {
      client.release();
    }
  };
}

/** The backend on each store, and the plan its database gives a statement. */
type Opened = { assembled: StoreBackend; plan: (statement: Statement) => Promise<string> };

describe.each(Object.keys(opens) as Array<keyof typeof opens>)('the Models page on %s', (kind) => {
  let opened: Opened;
  let current: ModelVersion[];
  beforeAll(async () => {
    const clock = new TestClock(T0);
    const assembled = await opens[kind]({ watches: [] }, clock);
    opened = { assembled, plan: plannerOf(assembled.store) };
    await fill(opened.assembled.store.pipeline);
    current = await opened.assembled.store.pipeline.models({ status: 'current', limit: 1000 });
    // Each target's current version: its third, running or retired (a failed fourth is none).
    expect(current).toHaveLength(TARGETS);
    expect(current.map((m) => [m.version, m.status === 'retired'])).toEqual(
      current.map((m) => [3, retired(Number(m.target.slice(-5, -2)))])
    );
  });
  afterAll(() => opened.assembled.close());

  const get = (query: string) => opened.assembled.app.inject({ url: `/api/models?${query}`, headers: AUTH });
  const page = async (query: string): Promise<ModelPage> => {
    const res = await get(query);
    expect(res.statusCode).toBe(200);
    return modelPageSchema.parse(res.json());
  };

  it.each([
    ['trainedAt', 'desc'],
    ['trainedAt', 'asc'],
    ['target', 'asc'],
    ['target', 'desc'],
  ] as const)(
    'pages every current model once by %s %s, saying where each page is, and back again',
    async (sort, order) => {
      const expected = expectedOrder(current, sort, order).map((m) => m.id);
      const pages: ModelPage[] = [];
      let cursor: string | null | undefined;
      do {
        const query = `status=current&sort=${sort}&order=${order}&limit=40${cursor ? `&cursor=${cursor}` : ''}`;
        pages.push(await page(query));
        cursor = pages.at(-1)!.next;
      } while (cursor);
      expect(pages.map((p) => p.models.length)).toEqual([40, 40, 40, 40, 20]);
      expect(pages.flatMap((p) => p.models.map((m) => m.id))).toEqual(expected);
      expect(pages.map((p) => [p.offset, p.total])).toEqual([0, 40, 80, 120, 160].map((o) => [o, TARGETS]));
      expect(pages[0].previous).toBeNull();

      // Back from the last page, each `previous` is the page before.
      let back = pages.at(-1)!.previous;
      for (const before of pages.slice(0, -1).reverse()) {
        const p = await page(`status=current&sort=${sort}&order=${order}&limit=40&cursor=${back}`);
        expect([p.models.map((m) => m.id), p.offset]).toEqual([before.models.map((m) => m.id), before.offset]);
        back = p.previous;
      }
      expect(back).toBeNull();
    }
  );

  it('filters by target text in any case, counting what matches', async () => {
    const matching = expectedOrder(current, 'target', 'asc').filter((m) => m.target.toLowerCase().includes('pod-1'));
    expect(matching).toHaveLength(80);
    const first = await page('status=current&sort=target&q=POD-1&limit=50');
    expect(first.models.map((m) => m.target)).toEqual(matching.slice(0, 50).map((m) => m.target));
    expect([first.offset, first.total]).toEqual([0, 80]);
    const rest = await page(`status=current&sort=target&q=POD-1&limit=50&cursor=${first.next}`);
    expect(rest.models.map((m) => m.target)).toEqual(matching.slice(50).map((m) => m.target));
    expect([rest.offset, rest.total, rest.next]).toEqual([50, 80, null]);
    const none = await page('status=current&q=nowhere');
    expect([none.models, none.total, none.next, none.previous]).toEqual([[], 0, null, null]);
  });

  it('keeps the newest trained first by default, and the old query of one target, which it does not count', async () => {
    const first = await page('status=current&limit=5');
    expect(first.models.map((m) => m.id)).toEqual(
      expectedOrder(current, 'trainedAt', 'desc')
        .slice(0, 5)
        .map((m) => m.id)
    );
    expect([first.offset, first.total]).toEqual([0, TARGETS]);
    const versions = await page(`target=${encodeURIComponent(targetOf(7))}`);
    expect(versions.models.map((m) => [m.version, m.status])).toEqual([
      [4, 'failed'],
      [3, 'active'],
      [2, 'superseded'],
      [1, 'superseded'],
    ]);
    // Only a listing of current models (one a target) is counted.
    expect(versions.total).toBeUndefined();
  });

  it('gives the newest retrain request of each target on the page, and only those, when asked', async () => {
    const p = await page('status=current&sort=target&limit=30&requests=true');
    const onPage = p.models.map((m) => m.target);
    const expected = onPage.filter((t) => requested(Number(t.slice(-5, -2))));
    expect(expected).toHaveLength(6);
    expect(p.requests!.map((r) => [r.target, r.replica]).sort()).toEqual(expected.map((t) => [t, 'pod-2']).sort());
    expect(p.expiresAfterMs).toBe(HOUR);
    const without = await page('status=current&sort=target&limit=30');
    expect([without.requests, without.expiresAfterMs]).toEqual([undefined, undefined]);
  });

  it('refuses a cursor of another order, and a sort it does not know, naming the parameter', async () => {
    const byTarget = await page('status=current&sort=target&limit=10');
    for (const query of [`sort=trainedAt&cursor=${byTarget.next}`, `sort=target&order=desc&cursor=${byTarget.next}`]) {
      const res = await get(`status=current&${query}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/cursor/);
    }
    const sort = await get('sort=version');
    expect(sort.statusCode).toBe(400);
    expect(sort.json()).toMatchObject({ field: 'querystring.sort' });
  });

  it("answers from a list worker's reader as from the route", async () => {
    const { store } = opened.assembled;
    const sources = { pipeline: store.pipeline, actions: store.healing.actions, audit: store.healing.audit };
    const first = await page('status=current&sort=target&limit=7&requests=true');
    for (const query of [
      'status=current&sort=target&limit=7&requests=true',
      `status=current&sort=target&limit=7&cursor=${first.next}`,
      'status=current&q=memory&order=asc',
    ]) {
      const answer = await readList(sources, '/api/models', query);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual((await get(query)).json());
    }
    expect((await readList(sources, '/api/models', `sort=trainedAt&cursor=${first.next}`)).status).toBe(400);
  });

  describe('reads a page and its count on the current models index, never the table or a sort', () => {
    const queries: Array<[string, Partial<ModelsQuery>]> = [
      ['the newest trained', {}],
      ['the oldest trained after a cursor', { order: 'asc', cursor: 'after' }],
      ['targets A to Z with a filter', { sort: 'target', q: 'pod-1' }],
      ['targets Z to A before a cursor', { sort: 'target', order: 'desc', cursor: 'before' }],
    ];
    it.each(queries)('%s', async (_name, shape) => {
      const q: Partial<ModelsQuery> = { status: 'current', sort: 'trainedAt', limit: 40, ...shape };
      // A real cursor of the query's order: its first page's `next` or that page's `previous`.
      if (q.cursor !== undefined) {
        const params = new URLSearchParams({
          status: 'current',
          sort: q.sort!,
          limit: '40',
          ...(q.order && { order: q.order }),
        });
        const second = await page(`${params}&cursor=${(await page(params.toString())).next}`);
        q.cursor = (shape.cursor === 'after' ? second.next : second.previous) ?? undefined;
      }
      const dialect = kind === 'SQLite' ? 'sqlite' : 'postgres';
      const index = q.sort === 'target' ? 'models_current_target' : 'models_current_trained';
      const statement = modelPageSql(q, dialect);
      const first = { sort: statement.sort, order: statement.order, value: q.sort === 'target' ? 'x' : T0, id: 1 };
      const count = modelCountSql(q, dialect, first);
      const [read, counted] = [await opened.plan(statement), await opened.plan(count)];
      if (kind === 'SQLite') {
        expect(read).toMatch(new RegExp(`^SCAN models USING INDEX ${index}|^SEARCH models USING INDEX ${index}`));
        // The total over an index; the rows before the page, a range of the sort's.
        const reads = counted.split('\n').filter((line) => / models /.test(line));
        expect(reads).toEqual([
          expect.stringMatching(/^SCAN models USING COVERING INDEX models_current_(target|trained)$/),
          expect.stringMatching(
            new RegExp(`^SEARCH models USING COVERING INDEX ${index} \\((target_id|trained_at)[<>]\\?\\)$`)
          ),
        ]);
        expect(`${read}\n${counted}`).not.toMatch(/TEMP B-TREE/);
      } else {
        expect(read).toMatch(new RegExp(`Index Scan( Backward)? using ${index} on models`));
        expect(counted).toMatch(/Index Only Scan using models_current_(target|trained) on models\s/);
        expect(counted).toMatch(
          new RegExp(`Index Only Scan using ${index} on models models_1 .*\\n\\s*Index Cond: \\(ROW\\(`)
        );
        expect(`${read}\n${counted}`).not.toMatch(/Seq Scan|Sort/);
      }
    });

    it("and its targets' newest requests on the (target_id, id) index of the requests, each row by its id", async () => {
      const dialect = kind === 'SQLite' ? 'sqlite' : 'postgres';
      const plan = await opened.plan({ sql: newestRequestsSql(3, dialect), params: [0, 5, 10].map(targetOf) });
      if (kind === 'SQLite') {
        expect(plan).toMatch(/SEARCH retrain_requests USING INTEGER PRIMARY KEY \(rowid=\?\)/);
        expect(plan).toMatch(/SEARCH retrain_requests USING COVERING INDEX retrain_requests_target \(target_id=\?\)/);
        expect(plan).not.toMatch(/SCAN retrain_requests|TEMP B-TREE/);
      } else {
        expect(plan).toMatch(/Index Only Scan using retrain_requests_target on retrain_requests/);
        expect(plan).toMatch(/Index Scan using retrain_requests_pkey on retrain_requests/);
        expect(plan).not.toMatch(/Seq Scan/);
      }
    });
  });
});
