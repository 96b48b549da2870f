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
});
