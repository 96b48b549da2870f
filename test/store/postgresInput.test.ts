import { actionListQuerySchema, auditQuerySchema } from '../../src/contract/healing';
import { anomaliesQuerySchema } from '../../src/contract/pipeline';
import { withoutNul } from '../../src/server/store/postgres/nulText';
import { openPostgresStore, type PostgresStore } from '../../src/server/store/postgres';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { anomalyRecord, T0 } from '../harness/anomalyRecords';
import { startPostgres, type RunningPostgres } from '../harness/postgres';

// What comes from outside into PostgreSQL's statements, where SQLite would take anything:
// - U+0000 (a Prometheus label value: the text exposition format takes the byte; an alert's labels; a
//   comment; a list's filter), which PostgreSQL's text holds none of: unmapped, a filter answered 500
//   and one such series failed every cycle of its watch;
// - the audit query's time bounds, compared with BIGINT columns: one PostgreSQL cannot read (1.5, 1e20)
//   failed the query, a 500 logged as a backend error for what was the client's mistake.

let server: RunningPostgres | undefined;
let store: PostgresStore;

beforeAll(async () => {
  server = await startPostgres();
  store = await openPostgresStore(await server.createDatabase('inputs'), {
    secrets: ephemeralSecretBox(),
    limits: { maxConnections: 2 },
  });
}, 120_000);

afterAll(async () => {
  await store?.close().catch(() => undefined);
  await server?.stop();
}, 120_000);

const settle = (work: Promise<unknown>) =>
  work.then(
    () => 'ok',
    (err: Error) => `failed: ${err.message}`
  );

describe('text with U+0000 on PostgreSQL', () => {
  it('filters the lists by it without failing the query', async () => {
    const nul = 'a\u0000b';
    expect({
      audit: await settle(store.healing.audit.list(auditQuerySchema.parse({ user: nul, triggerId: nul }))),
      actions: await settle(store.healing.actions.list(actionListQuerySchema.parse({ policy: nul, namespace: nul }))),
      // A target id holds none (the pipeline writes it U+FFFD): a target filter with one is the schema's 400.
      anomalies: await settle(store.pipeline.anomalyPage(anomaliesQuerySchema.parse({ watch: nul }))),
    }).toEqual({ audit: 'ok', actions: 'ok', anomalies: 'ok' });
  });

  it('writes it in text and JSON columns, and a filter with the same text finds the row', async () => {
    const user = 'eve\u0000';
    await store.healing.audit.append({
      at: T0,
      kind: 'approved',
      message: 'm\u0000',
      user,
      comment: 'c\u0000',
      details: { note: 'd\u0000', literal: '\\u0000' },
    });
    const { items } = await store.healing.audit.list(auditQuerySchema.parse({ user }));
    expect(items).toEqual([
      expect.objectContaining({
        user: 'eve\ufffd',
        message: 'm\ufffd',
        comment: 'c\ufffd',
        details: { note: 'd\ufffd', literal: '\\u0000' },
      }),
    ]);
  });

  it('keeps a text that spells the escape (six characters) as it was written, and a JSON value holding it', async () => {
    const typed = 'typed \\u0000 here';
    await store.healing.audit.append({ at: T0, kind: 'rejected', message: typed, comment: typed, details: { typed } });
    const { items } = await store.healing.audit.list(auditQuerySchema.parse({ kind: 'rejected' }));
    expect(items).toEqual([expect.objectContaining({ message: typed, comment: typed, details: { typed } })]);
  });

  it('writes a lone surrogate in JSON columns (an alert label, a detail) U+FFFD, as the driver writes it in text', async () => {
    const lone = 'x\ud800';
    await store.healing.audit.append({ at: T0, kind: 'expired', message: lone, details: { lone } });
    const [stored] = await store.pipeline.commitCycle({
      watch: 'lone',
      lastProcessed: T0,
      targets: [],
      anomalies: [anomalyRecord(0, { targetId: 'lone{job="x\ufffd"}', labels: { job: lone } })],
      predictions: [],
      forgotten: [],
    });
    expect(stored.id).toBeGreaterThan(0);
    const { items } = await store.healing.audit.list(auditQuerySchema.parse({ kind: 'expired' }));
    expect(items).toEqual([expect.objectContaining({ message: 'x\ufffd', details: { lone: 'x\ufffd' } })]);
  });

  it('commits a watch cycle whose target labels hold it', async () => {
    const labels = { job: 'x\u0000y' };
    const [stored] = await store.pipeline.commitCycle({
      watch: 'w',
      lastProcessed: T0,
      targets: [],
      anomalies: [anomalyRecord(0, { targetId: 'w{job="x\u0000y"}', labels })],
      predictions: [],
      forgotten: [],
    });
    expect(stored.id).toBeGreaterThan(0);
    expect(await store.pipeline.lastProcessed('w')).toBe(T0);
  });
});

it('maps U+0000 and lone surrogates, and their escapes in JSON text, and keeps an escaped backslash and a text spelling an escape', () => {
  expect(
    withoutNul([
      'a\u0000',
      JSON.stringify({ a: '\u0000' }),
      JSON.stringify('\\u0000'),
      [['\u0000']],
      7,
      null,
      JSON.stringify(['\ud800', '\udfff', '\ud83d\ude00', '\u001b']),
      // Six characters a user typed, in a text column: not JSON, so no escape.
      'see \\u0000 and \\ud800',
    ])
  ).toEqual([
    'a\ufffd',
    '{"a":"\\ufffd"}',
    JSON.stringify('\\u0000'),
    [['\ufffd']],
    7,
    null,
    '["\\ufffd","\\ufffd","\ud83d\ude00","\\u001b"]',
    'see \\u0000 and \\ud800',
  ]);
});

it('refuses audit time bounds that PostgreSQL cannot compare with its times, and lists with those it can', async () => {
  await store.healing.audit.append({ at: 1_700_000_000_000, kind: 'proposed', message: 'm' });
  const outcomes: Record<string, string> = {};
  for (const from of ['1.5', '1e20', '1e308', '-1', '1700000000000']) {
    const query = auditQuerySchema.safeParse({ from, to: '1800000000000', kind: 'proposed' });
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
