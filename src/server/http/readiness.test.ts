import type { WatchStatus } from '../../contract/pipeline';
import { PrometheusError } from '../prometheus/types';
import { StoreNotWritableError } from '../store/writeHealth';
import { reportedWatch } from '../../../test/harness/reportedWatch';
import { checkReadiness, sharedPings } from './readiness';

const URL_WITH_SECRET = 'https://user:s3cret@prometheus.internal:9090';
const fine = { ping: async () => undefined };
const prometheusFailing = (err: Error) => ({
  ping: async () => {
    throw err;
  },
});

const watch = (name: string, lastError: WatchStatus['lastError']) => reportedWatch(name, lastError, URL_WITH_SECRET);

describe('checkReadiness', () => {
  it('is ready with nothing to add when the store and Prometheus answer', async () => {
    expect(await checkReadiness({ store: fine, prometheus: { ping: async () => undefined } })).toEqual({
      status: 'ready',
      checks: { store: { ok: true }, prometheus: { ok: true } },
      degradedWatchCount: 0,
      degradedWatches: [],
    });
  });

  it.each([
    [new PrometheusError('timeout', `Prometheus at ${URL_WITH_SECRET} did not answer within 30000 ms`), 'timeout'],
    [new PrometheusError('unreachable', `Prometheus at ${URL_WITH_SECRET} is unreachable: ECONNREFUSED`), 'refused'],
    [new PrometheusError('unreachable', `Prometheus at ${URL_WITH_SECRET} is unreachable: ENOTFOUND`), 'unknown host'],
    [
      new PrometheusError('http', `Prometheus at ${URL_WITH_SECRET} answered HTTP 500: <html>secret page</html>`, 500),
      'http 500',
    ],
    [
      new PrometheusError('malformed', `Prometheus at ${URL_WITH_SECRET} answered something: <html>`),
      'malformed answer',
    ],
    [new Error(`fetch to ${URL_WITH_SECRET} failed`), 'error'],
  ])('says "prometheus does not answer (%s)" in a fixed phrase, without the URL or the body', async (err, kind) => {
    const readiness = await checkReadiness({ store: fine, prometheus: prometheusFailing(err) });
    expect(readiness.status).toBe('not_ready');
    expect(readiness.checks.prometheus).toEqual({ ok: false, message: `prometheus does not answer (${kind})` });
    expect(JSON.stringify(readiness)).not.toMatch(/s3cret|prometheus\.internal|html/);
  });

  it('leaves Prometheus out of the verdict, not out of the report, when asked to exclude it', async () => {
    const down = prometheusFailing(new PrometheusError('unreachable', 'Prometheus at x is unreachable: ECONNREFUSED'));
    const readiness = await checkReadiness({ store: fine, prometheus: down }, { exclude: 'prometheus' });
    expect(readiness.status).toBe('ready');
    expect(readiness.checks.prometheus).toEqual({ ok: false, message: 'prometheus does not answer (refused)' });
    // The store still decides.
    const broken = { ping: () => Promise.reject(Object.assign(new Error('locked'), { code: 'SQLITE_BUSY' })) };
    expect((await checkReadiness({ store: broken, prometheus: down }, { exclude: 'prometheus' })).status).toBe(
      'not_ready'
    );
  });

  it.each([
    [{}, 'not_ready'],
    [{ exclude: 'prometheus' as const }, 'not_ready'],
    [{ exclude: 'storeWrites' as const }, 'ready'],
    [{ exclude: ['prometheus' as const, 'storeWrites' as const] }, 'ready'],
  ])(
    'reports a store that answers but cannot write in a check of its own, which %j leaves out of the verdict or not',
    async (query, status) => {
      const refusal = {
        code: '25006',
        reason: 'read only',
        message: 'PostgreSQL at db:5432/fp is read-only',
        advice: '',
      };
      const readiness = await checkReadiness(
        {
          store: {
            ...fine,
            writeHealth: {
              check: () => {
                throw new StoreNotWritableError(refusal);
              },
            },
          },
          prometheus: { ping: async () => undefined },
        },
        query
      );
      expect(readiness).toEqual({
        status,
        checks: {
          store: { ok: true },
          storeWrites: { ok: false, message: 'store cannot write (read only)' },
          prometheus: { ok: true },
        },
        degradedWatchCount: 0,
        degradedWatches: [],
      });
    }
  );

  it('says the store does not answer, and its kind, without its message', async () => {
    const busy = Object.assign(new Error('database is locked at /var/lib/failureprophet/failureprophet.db'), {
      code: 'SQLITE_BUSY',
    });
    const readiness = await checkReadiness({
      store: {
        ping: () => {
          throw busy;
        },
      },
      prometheus: { ping: async () => undefined },
    });
    expect(readiness.status).toBe('not_ready');
    expect(readiness.checks.store).toEqual({ ok: false, message: 'store does not answer (busy)' });
    expect(JSON.stringify(readiness)).not.toContain('/var/lib');
  });

  it('names each degraded watch and why in one phrase, and stays ready', async () => {
    const readiness = await checkReadiness({
      store: fine,
      prometheus: { ping: async () => undefined },
      watchStatus: () => [
        watch('nodes', null),
        watch('broken', { kind: 'query', message: `query "up" failed: parse error at ${URL_WITH_SECRET}`, at: 1 }),
        watch('far', { kind: 'timeout', message: 'Prometheus at https://x did not answer', at: 1 }),
      ],
    });
    expect(readiness.status).toBe('ready');
    expect(readiness.degradedWatchCount).toBe(2);
    expect(readiness.degradedWatches).toEqual([
      { name: 'broken', reason: 'its data source refuses a query' },
      { name: 'far', reason: 'its data source does not answer in time' },
    ]);
    expect(JSON.stringify(readiness)).not.toMatch(/s3cret|parse error|https:/);
  });

  it.each([
    ['single', undefined, { ok: true, role: 'single' }, 'ready'],
    ['leader', undefined, { ok: true, role: 'leader' }, 'ready'],
    [
      'follower',
      undefined,
      { ok: true, role: 'follower', message: 'another replica leads and executes healing actions' },
      'ready',
    ],
    [
      'follower',
      'PostgreSQL does not answer',
      { ok: false, role: 'follower', message: 'cannot tell which replica leads: PostgreSQL does not answer' },
      'not_ready',
    ],
  ] as const)(
    'reports the role %s (undetermined: %s), and a healthy follower is ready',
    async (role, unknown, check, status) => {
      const readiness = await checkReadiness({
        store: fine,
        prometheus: { ping: async () => undefined },
        leadership: { role: () => role, undetermined: () => unknown },
      });
      expect(readiness.checks.leadership).toEqual(check);
      expect(readiness.status).toBe(status);
    }
  );
});

describe('sharedPings', () => {
  it('gives every check waiting on one ping its answer, the store and Prometheus each, and asks again after it', async () => {
    const refusals: Array<(err: Error) => void> = [];
    const storeAnswers: Array<() => void> = [];
    let pings = 0;
    let storePings = 0;
    const deps = sharedPings({
      store: {
        ping: () => {
          storePings++;
          return new Promise<void>((resolve) => storeAnswers.push(resolve));
        },
      },
      prometheus: {
        ping: () => {
          pings++;
          return new Promise<void>((_resolve, reject) => refusals.push(reject));
        },
      },
    });
    const checks = [1, 2, 3].map(() => checkReadiness(deps));
    refusals[0](new PrometheusError('timeout', 'Prometheus at x did not answer within 30000 ms'));
    storeAnswers[0]();
    for (const readiness of await Promise.all(checks)) {
      expect(readiness.checks.prometheus).toEqual({ ok: false, message: 'prometheus does not answer (timeout)' });
      expect(readiness.checks.store).toEqual({ ok: true });
    }
    expect([pings, storePings]).toEqual([1, 1]);

    const next = checkReadiness(deps);
    expect([pings, storePings]).toEqual([2, 2]);
    refusals[1](new PrometheusError('unreachable', 'Prometheus at x is unreachable: ECONNREFUSED'));
    storeAnswers[1]();
    expect((await next).checks.prometheus).toEqual({ ok: false, message: 'prometheus does not answer (refused)' });
  });
});
