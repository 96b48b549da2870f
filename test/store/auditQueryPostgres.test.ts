import { auditQuerySchema } from '../../src/contract/healing';
import { openPostgresStore, type PostgresStore } from '../../src/server/store/postgres';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { startPostgres, type RunningPostgres } from '../harness/postgres';

// What GET /api/audit's query string can put into PostgreSQL's audit query: a time bound the schema
// lets through must be one PostgreSQL compares with its BIGINT `at` column. A bound it cannot read
// (1.5, 1e20) failed the query, a 500 logged as a backend error for what was the client's mistake.

let server: RunningPostgres | undefined;
let store: PostgresStore;

beforeAll(async () => {
  server = await startPostgres();
  store = await openPostgresStore(await server.createDatabase('auditquery'), {
    secrets: ephemeralSecretBox(),
    limits: { maxConnections: 2 },
  });
  await store.healing.audit.append({ at: 1_700_000_000_000, kind: 'proposed', message: 'm' });
}, 120_000);

afterAll(async () => {
  await store?.close().catch(() => undefined);
  await server?.stop();
}, 120_000);

it('refuses audit time bounds that PostgreSQL cannot compare with its times, and lists with those it can', async () => {
  const outcomes: Record<string, string> = {};
  for (const from of ['1.5', '1e20', '1e308', '-1', '1700000000000']) {
    const query = auditQuerySchema.safeParse({ from, to: '1800000000000' });
    outcomes[from] = query.success
      ? await store.healing.audit.list(query.data).then(
          (page) => `${page.total} listed`,
          (err: Error) => `failed: ${err.message}`
        )
      : 'refused';
  }
  expect(outcomes).toEqual({
    '1.5': 'refused',
    '1e20': 'refused',
    '1e308': 'refused',
    '-1': 'refused',
    '1700000000000': '1 listed',
  });
});
