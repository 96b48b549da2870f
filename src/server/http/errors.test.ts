import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { registerErrorHandler } from './errors';
import { Registry } from 'prom-client';
import { registerLoadShedding } from './loadShedding';
import { connectionFailure, StoreUnavailableError } from '../store/postgres/pool';
import { StoredRowError } from '../store/rows';

describe('the HTTP error handler', () => {
  const app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app, registerLoadShedding(app, { maxConcurrent: 64 }, new Registry()));
  app.post(
    '/things',
    {
      schema: {
        querystring: z.object({ limit: z.coerce.number().int().min(1).default(10) }),
        body: z.object({ labels: z.record(z.string(), z.string()), mode: z.enum(['auto', 'approve']) }),
      },
    },
    async () => ({ ok: true })
  );
  // A real SQLite refusal: an in-memory database capped at its size, as a full disk caps a file.
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (b BLOB)');
  db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`);
  app.post('/full', async () => db.prepare('INSERT INTO t VALUES (zeroblob(100000))').run());
  app.get('/pg-full', async () => {
    throw Object.assign(new Error('could not extend file "base/16384/16385": No space left on device'), {
      code: '53100',
    });
  });
  app.get('/pg-read-only', async () => {
    throw Object.assign(new Error('cannot execute INSERT in a read-only transaction'), { code: '25006' });
  });
  app.get('/pg-away', async () => {
    throw new StoreUnavailableError('PostgreSQL at db:5432/fp is unavailable: Connection terminated');
  });
  app.get('/pg-busy', async () => {
    throw connectionFailure(new Error('timeout exceeded when trying to connect'), 'db:5432/fp');
  });
  app.get('/broken', async () => {
    throw Object.assign(new Error('UNIQUE constraint failed: t.id'), { code: 'SQLITE_CONSTRAINT_UNIQUE' });
  });
  // A row its schema does not read, as decodeRow words it; a list worker's comes back as a plain error keeping its name.
  app.get('/row', async (request) => {
    const { message, worker } = request.query as { message: string; worker?: string };
    throw worker ? Object.assign(new Error(message), { name: 'StoredRowError' }) : new StoredRowError(message);
  });
  afterAll(async () => {
    await app.close();
    db.close();
  });

  const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object });

  it('names the query parameter that is not a number in plain words', async () => {
    const res = await post('/things?limit=many', { labels: {}, mode: 'auto' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: 'bad_request',
      message: 'querystring.limit: must be a number',
      field: 'querystring.limit',
    });
  });

  it('says a missing mapping is missing, and lists the allowed values of an enum', async () => {
    const missing = await post('/things', { mode: 'auto' });
    expect(missing.json().message).toBe('body.labels: is missing: it must be a mapping of names to values');
    const wrong = await post('/things', { labels: {}, mode: 'yolo' });
    expect(wrong.json().message).toBe('body.mode: must be one of "auto", "approve"');
  });

  it('answers 503 with Retry-After while the store cannot write or is away, naming no host; other failures stay 500', async () => {
    for (const res of [
      await post('/full', {}),
      await app.inject({ method: 'GET', url: '/pg-full' }),
      await app.inject({ method: 'GET', url: '/pg-read-only' }),
      await app.inject({ method: 'GET', url: '/pg-away' }),
    ]) {
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('30');
      expect(res.json().error).toBe('store_unavailable');
      expect(res.json().message).not.toMatch(/db:5432|base\/16384/);
    }
    expect((await post('/full', {})).json().message).toBe(
      'the store cannot write now (its disk is full or refuses writes); try again later'
    );
    expect((await app.inject({ method: 'GET', url: '/pg-read-only' })).json().message).toBe(
      'the store cannot write now (read only); try again later'
    );
    const broken = await app.inject({ method: 'GET', url: '/broken' });
    expect(broken.statusCode).toBe(500);
    expect(broken.json()).toEqual({ error: 'internal', message: 'internal error; see the backend log' });
  });

  it('answers a call the pool had no connection for as shed load (503 overloaded, Retry-After 1), counted under reason store_busy', async () => {
    // pg-pool's own error for a call that waited out connectTimeoutMillis in a full pool's queue.
    const busy = connectionFailure(new Error('timeout exceeded when trying to connect'), 'db:5432/fp');
    const metrics = new Registry();
    const shedApp = Fastify({ logger: false });
    registerErrorHandler(shedApp, registerLoadShedding(shedApp, { maxConcurrent: 8 }, metrics));
    shedApp.get('/busy', async () => {
      throw busy;
    });
    try {
      for (const res of [await shedApp.inject('/busy'), await app.inject({ method: 'GET', url: '/pg-busy' })]) {
        expect(res.statusCode).toBe(503);
        expect(res.headers['retry-after']).toBe('1');
        expect(res.json()).toEqual({
          error: 'overloaded',
          message: "the store is busy (every connection of this replica's pool in use); retry shortly",
        });
      }
      const shed = await metrics.getSingleMetric('failureprophet_http_requests_shed_total')!.get();
      expect(shed.values).toEqual([expect.objectContaining({ labels: { reason: 'store_busy' }, value: 1 })]);
    } finally {
      await shedApp.close();
    }
  });

  it.each([
    [
      'an anomaly with an unreadable JSON column',
      'anomalies row 12 is invalid at signals: not JSON (Unexpected token \'g\', "garbage" is not valid JSON)',
      "the store's anomalies row 12 is unreadable (column signals)",
    ],
    [
      'a keyed row, the path going into its JSON',
      'pipeline_watches row w is invalid at peers.db-password.0: Invalid input: expected number, received string',
      "the store's pipeline_watches row w is unreadable (column peers)",
    ],
    [
      'a row whose target id is its key',
      'anomalies row w{job="j7"} at 1744025400000 is invalid at id: Invalid input: expected number, received string',
      'the store\'s anomalies row w{job="j7"} at 1744025400000 is unreadable (column id)',
    ],
    [
      'a row without a key or a path, its fault quoting " is invalid"',
      'models row is invalid: the "hunter2 is invalid" value',
      "the store's models row is unreadable",
    ],
    [
      'a key with a control character',
      'settings row a\u0000b is invalid at value: Invalid input',
      "the store's settings row is unreadable (column value)",
    ],
  ])('answers %s with 500 stored_row_unreadable naming the table, row and column only', async (_, message, said) => {
    for (const worker of ['', '1']) {
      const res = await app.inject({ method: 'GET', url: '/row', query: { message, worker } });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({
        error: 'stored_row_unreadable',
        message: `${said}: mend or delete it; the backend log says what is wrong with it`,
      });
      expect(res.body).not.toMatch(/garbage|hunter2|password|Invalid|JSON/);
    }
  });

  it('answers a StoredRowError not worded as a row that does not fit without its text', async () => {
    const message = 'anomalies row w{job="a"} at 5 was not returned by its upsert';
    const res = await app.inject({ method: 'GET', url: '/row', query: { message } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      error: 'stored_row_unreadable',
      message: 'a row of the store is unreadable; the backend log names it',
    });
  });
});
