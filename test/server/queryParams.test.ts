import { AUTH, assembledApp, type AssembledApp } from '../harness/server';

/** The routes that take a time range: `from` and `to` in epoch milliseconds, decimal digits only, in order. */
const RANGED = ['/api/anomalies', '/api/predictions', '/api/audit'];

describe('numeric query parameters on the routes', () => {
  let assembled: AssembledApp;

  beforeAll(async () => {
    assembled = await assembledApp();
  });

  afterAll(async () => {
    await assembled?.close();
  });

  const get = (url: string) => assembled.app.inject({ method: 'GET', url, headers: AUTH });

  it.each(RANGED)('%s refuses from after to with a 400 naming both', async (route) => {
    const res = await get(`${route}?from=5&to=1`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: 'bad_request',
      message: 'querystring.from: must not be after to (from=5, to=1; both epoch milliseconds)',
      field: 'querystring.from',
    });
    expect((await get(`${route}?from=5&to=5`)).statusCode).toBe(200);
    expect((await get(`${route}?from=1&to=5`)).statusCode).toBe(200);
  });

  it.each(RANGED.flatMap((route) => ['from=', 'to=', 'from=0x10', 'to=1e3', 'from=%207'].map((q) => [route, q])))(
    '%s?%s is a 400 naming the parameter, not a number read from it',
    async (route, query) => {
      const res = await get(`${route}?${query}`);
      const name = query.split('=')[0];
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error: 'bad_request',
        message: `querystring.${name}: must be a whole number in decimal digits (0-9 only)`,
        field: `querystring.${name}`,
      });
    }
  );

  it.each(['/api/anomalies', '/api/targets', '/api/predictions', '/api/models'])(
    '%s takes limit in decimal digits only',
    async (route) => {
      expect((await get(`${route}?limit=7`)).statusCode).toBe(200);
      for (const limit of ['', '1e2', '0x10']) {
        const res = await get(`${route}?limit=${limit}`);
        expect(res.statusCode).toBe(400);
        expect(res.json().field).toBe('querystring.limit');
      }
    }
  );

  /** The healing lists: `limit` and `offset` (pagingSchema). */
  const PAGED = ['/api/actions', '/api/audit'];

  it.each(
    PAGED.flatMap((route) =>
      ['limit=', 'limit=0x10', 'limit=1e2', 'limit=%207', 'offset=', 'offset=0x10', 'offset=1e2', 'offset=%207'].map(
        (q) => [route, q]
      )
    )
  )('%s?%s is a 400 naming the parameter, not a number read from it', async (route, query) => {
    const res = await get(`${route}?${query}`);
    const name = query.split('=')[0];
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: 'bad_request',
      message: `querystring.${name}: must be a whole number in decimal digits (0-9 only)`,
      field: `querystring.${name}`,
    });
  });

  it.each(PAGED)('%s takes limit and offset in decimal digits, within their bounds', async (route) => {
    expect((await get(`${route}?limit=10&offset=0`)).statusCode).toBe(200);
    expect((await get(`${route}?limit=500&offset=1000`)).statusCode).toBe(200);
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['offset=1001', 'offset'],
    ]) {
      const res = await get(`${route}?${query}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().field).toBe(`querystring.${field}`);
    }
    expect((await get(`${route}?offset=1001`)).json().message).toBe(
      'querystring.offset: at most 1000: page on with cursor, the next of the previous page'
    );
  });

  it.each(['/api/actions', '/api/anomalies'])('%s/:id takes an id in decimal digits only', async (route) => {
    const at = (id: string) => `${route}/${id}`;
    // An id in digits is looked up: none is stored.
    expect((await get(at('7'))).statusCode).toBe(404);
    for (const id of ['1e2', '0x1', '%207', '1.0', '-1']) {
      const res = await get(at(id));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error: 'bad_request',
        message: 'params.id: must be a whole number in decimal digits (0-9 only)',
        field: 'params.id',
      });
    }
    expect((await get(at('0'))).json().field).toBe('params.id');
  });

  it.each(['/api/actions/1e2/approve', '/api/actions/0x1/reject', '/api/anomalies/1e0/feedback'])(
    'POST %s is a 400 naming the id',
    async (url) => {
      const res = await assembled.app.inject({
        method: 'POST',
        url,
        payload: url.includes('feedback') ? { kind: 'confirmed' } : {},
        headers: { ...AUTH, 'x-grafana-user': 'alice' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().field).toBe('params.id');
    }
  );
});
