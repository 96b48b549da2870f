import { retrainRequestsResponseSchema, type RetrainRequestView } from '../../src/contract/retrainRequests';
import { NEWEST_BY_TARGET_SQL } from '../../src/server/pipeline/store/retrainRequestTable';
import type { PipelineRepository } from '../../src/server/pipeline/store/repository';
import type { PostgresStore } from '../../src/server/store/postgres';
import type { SqliteStore } from '../../src/server/store/sqlite';
import { assembledStores, type StoreBackend } from '../harness/assembledStores';
import { AUTH } from '../harness/server';
import { TestClock } from '../pipeline/helpers';

// GET /api/models/retrain-requests?newest=target: each target's newest request (what the Models page
// shows of it), paged by target, on both stores. Three "Retrain all"s on 1,500 targets leave 2,260
// requests: the newest 1,000 of them name 990 targets, so a page of the newest requests leaves 510
// targets without theirs. The query is a loose scan of the (target_id, id) index, never a full
// read or sort of the table.

const HOUR = 3_600_000;
const MINUTE = 60_000;
const T0 = Date.UTC(2025, 5, 1, 12);
const FLEET = Array.from({ length: 1500 }, (_, i) => `w{job="j${String(i).padStart(4, '0')}"}`);
const ROUND_2 = FLEET.slice(0, 750);
const ROUND_3 = FLEET.slice(1490);
const FAILURE = 'no samples in the history range';

/** What each target's newest request says after the three rounds (see `fill`). */
function expectedNewest(target: string, i: number) {
  if (ROUND_3.includes(target)) {
    return { target, requestedAt: T0 + 4 * HOUR, state: 'queued', claimedBy: null, failed: null };
  }
  if (i < 50) {
    return {
      target,
      requestedAt: T0 + 3 * HOUR,
      state: 'done',
      claimedBy: 'pod-c',
      failed: [{ target, error: FAILURE }],
    };
  }
  if (i < 100) {
    return { target, requestedAt: T0 + 3 * HOUR, state: 'running', claimedBy: 'pod-c', failed: null };
  }
  if (i < 750) {
    return { target, requestedAt: T0 + 3 * HOUR, state: 'queued', claimedBy: null, failed: null };
  }
  return { target, requestedAt: T0, state: 'expired', claimedBy: null, failed: null };
}

const shown = (r: RetrainRequestView) => ({
  target: r.target,
  requestedAt: r.requestedAt,
  state: r.state,
  claimedBy: r.claimedBy,
  failed: r.failed,
});

/**
 * Round 1 (T0): every target, for pod-b, all expired two hours on. Round 2 (T0 + 3 h): the first 750;
 * pod-c takes the first 100 and fails the first 50. Round 3 (T0 + 4 h): the last ten, queued.
 */
async function fill(repo: PipelineRepository, clock: TestClock) {
  const queue = (targets: string[]) =>
    repo.queueRetraining(
      targets.map((target) => ({
        replica: 'pod-b',
        watch: 'w',
        target,
        requestedBy: 'pod-a',
        requestedAt: clock.now(),
      }))
    );
  await queue(FLEET);
  clock.advance(2 * HOUR);
  expect(await repo.expireRetraining(clock.now(), clock.now() - HOUR, clock.now() - HOUR)).toBe(FLEET.length);
  clock.advance(HOUR);
  await queue(ROUND_2);
  clock.advance(MINUTE);
  const waiting = await repo.takeableRetraining({ replica: 'pod-c', lapsedBefore: clock.now() - HOUR });
  const taken = waiting.filter((r) => ROUND_2.indexOf(r.target ?? '') < 100);
  const claim = { replica: 'pod-c', at: clock.now(), lapsedBefore: clock.now() - HOUR };
  expect(
    await repo.claimRetraining(
      taken.map((r) => r.id),
      claim
    )
  ).toHaveLength(100);
  const failing = taken.filter((r) => ROUND_2.indexOf(r.target ?? '') < 50);
  const failed = failing.map((r) => ({ target: r.target ?? '', error: FAILURE }));
  clock.advance(MINUTE);
  expect(await repo.finishRetraining(failing, 'pod-c', clock.now(), { trained: 0, failed })).toBe(50);
  clock.advance(T0 + 4 * HOUR - clock.now());
  await queue(ROUND_3);
}

const opens = assembledStores('newestrequests');

/** The plan a store's database gives the newest-by-target query. */
function plannerOf(store: SqliteStore | PostgresStore): () => Promise<string> {
  if (!('pool' in store)) {
    return async () =>
      store.db
        .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${NEWEST_BY_TARGET_SQL}`)
        .all('', 1001)
        .map((r) => r.detail)
        .join('\n');
  }
  return async () => {
    const client = await store.pool.connect();
    try {
      // A test table is too small for the planner to prefer an index: forbid what it would do instead.
      await client.query('SET enable_seqscan = off');
      let n = 0;
      const sql = NEWEST_BY_TARGET_SQL.replace(/\?/g, () => `$${++n}`);
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, ['', 1001]);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    } finally {
      client.release();
    }
  };
}

/** The backend on each store, on the test's clock, and the plan its database gives the newest-by-target query. */
type Opened = { assembled: StoreBackend; plan: () => Promise<string> };

describe.each(Object.keys(opens) as Array<keyof typeof opens>)("each target's newest retrain request on %s", (kind) => {
  let opened: Opened;
  beforeAll(async () => {
    const clock = new TestClock(T0);
    const assembled = await opens[kind]({ watches: [] }, clock);
    opened = { assembled, plan: plannerOf(assembled.store) };
    await fill(opened.assembled.store.pipeline, clock);
  });
  afterAll(() => opened.assembled.close());

  const get = (query: string) =>
    opened.assembled.app.inject({ url: `/api/models/retrain-requests?${query}`, headers: AUTH });
  const page = async (query: string) => {
    const res = await get(query);
    expect(res.statusCode).toBe(200);
    return retrainRequestsResponseSchema.parse(res.json());
  };

  it('pages every target once, each with its newest request, past the newest 1,000 of all', async () => {
    // The newest of all (what the Models page read before) names a sixth of the fleet.
    const newestOfAll = await page('limit=1000');
    expect(newestOfAll.requests).toHaveLength(1000);
    expect(new Set(newestOfAll.requests.map((r) => r.target)).size).toBe(990);
    expect(newestOfAll.next).toBeUndefined();

    const first = await page('newest=target&limit=1000');
    expect(first.requests).toHaveLength(1000);
    expect(first.next).toBe(FLEET[999]);
    const second = await page(`newest=target&limit=1000&cursor=${encodeURIComponent(first.next!)}`);
    expect(second.next).toBeNull();
    expect([...first.requests, ...second.requests].map(shown)).toEqual(FLEET.map(expectedNewest));
    expect(second.expiresAfterMs).toBe(HOUR);

    // A page from the middle of the fleet: the three targets after the cursor.
    const middle = await page(`newest=target&limit=3&cursor=${encodeURIComponent(FLEET[48])}`);
    expect(middle.requests.map(shown)).toEqual([49, 50, 51].map((i) => expectedNewest(FLEET[i], i)));
    expect(middle.next).toBe(FLEET[51]);
  });

  it('refuses a cursor without newest=target, and newest=target of one target', async () => {
    const cursor = await get(`cursor=${encodeURIComponent(FLEET[3])}`);
    expect(cursor.statusCode).toBe(400);
    expect(cursor.json()).toMatchObject({
      field: 'querystring.cursor',
      message: expect.stringMatching(/newest=target/),
    });
    const one = await get(`newest=target&target=${encodeURIComponent(FLEET[3])}`);
    expect(one.statusCode).toBe(400);
    expect(one.json()).toMatchObject({ field: 'querystring.newest', message: expect.stringMatching(/limit=1/) });
  });

  it('reads a page on the (target_id, id) index: no scan of the table, the only sort of the page', async () => {
    const plan = await opened.plan();
    if (kind === 'SQLite') {
      const touching = plan.split('\n').filter((line) => /\b(retrain_requests|r)\b/.test(line));
      expect(touching).toEqual([
        'SEARCH retrain_requests USING COVERING INDEX retrain_requests_target (target_id>?)',
        'SEARCH retrain_requests USING COVERING INDEX retrain_requests_target (target_id>?)',
        'SEARCH retrain_requests USING COVERING INDEX retrain_requests_target (target_id=?)',
        'SEARCH r USING INTEGER PRIMARY KEY (rowid=?)',
      ]);
    } else {
      expect(plan).not.toMatch(/Seq Scan/);
      expect(plan).toMatch(
        /Index Only Scan using retrain_requests_target[\s\S]*Index Cond: \(\(target_id IS NOT NULL\) AND \(target_id > /
      );
      expect(plan).toMatch(/Index Only Scan Backward using retrain_requests_target[\s\S]*Index Cond: \(\(target_id = /);
      expect(plan).toMatch(
        /Index Scan using retrain_requests_pkey on retrain_requests r .*\n\s*Index Cond: \(id = t\.id\)/
      );
      expect(plan.match(/Sort Key: .*/g)).toEqual(['Sort Key: t.n']);
    }
  });
});
