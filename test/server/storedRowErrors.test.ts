import { pipelineRoutes } from '../../src/server/http/routes/pipeline';
import type { App } from '../../src/server/http/server';
import { spikingFleet, spikingWatchConfig } from '../harness/spikingFleet';
import { AUTH, injectingApp } from '../harness/server';
import { buildPipeline, MINUTE, TestClock, type Harness } from '../pipeline/helpers';

const NOW = Date.UTC(2025, 3, 7, 12);
const TARGET = 'w{job="j7"}';
const HINT = 'mend or delete it; the backend log says what is wrong with it';

/**
 * A row the store cannot read (a hand edit, another build, a damaged file) answers a 500 that names
 * its table, row and column, so an operator knows what to mend, and nothing of what is in it.
 */
describe('a stored row that does not fit', () => {
  let h: Harness;
  let app: App;
  let anomalyId: number;

  beforeAll(async () => {
    const clock = new TestClock(NOW);
    const querier = spikingFleet({ targets: 10, spikeAt: NOW - 30 * MINUTE });
    h = buildPipeline({ watches: [{ ...spikingWatchConfig.watches[0], limits: { x: 1e9 } }] }, clock, {
      extra: { querierFor: () => querier },
    });
    await h.pipeline.runOnce();
    app = await injectingApp(h, [pipelineRoutes(h.pipeline)]);
    const anomalies = (await app.inject({ url: '/api/anomalies', headers: AUTH })).json().anomalies;
    expect(anomalies).toHaveLength(1);
    anomalyId = anomalies[0].id;
  });

  afterAll(async () => {
    await app?.close();
    await h?.close(true);
  });

  const get = (url: string) => app.inject({ url, headers: AUTH });

  /** Runs `check` with `sql` applied to the store, then puts the table back as it was. */
  async function corrupted(table: string, sql: string, check: () => Promise<void>): Promise<void> {
    const db = h.store.db;
    const saved = db.prepare(`SELECT * FROM ${table}`).all() as Array<Record<string, unknown>>;
    db.prepare(sql).run();
    try {
      await check();
    } finally {
      db.prepare(`DELETE FROM ${table}`).run();
      for (const row of saved) {
        const columns = Object.keys(row);
        db.prepare(
          `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`
        ).run(row);
      }
    }
  }

  it.each([
    ['signals', `'garbage'`],
    ['severity', `'apocalyptic'`],
    ['peak_score', `'high'`],
  ])(
    'answers the anomalies routes with the anomaly row and its column %s named, not its text',
    async (column, garbage) => {
      await corrupted('anomalies', `UPDATE anomalies SET ${column} = ${garbage}`, async () => {
        for (const url of [
          '/api/anomalies',
          `/api/anomalies/${anomalyId}`,
          `/api/targets/${encodeURIComponent(TARGET)}`,
        ]) {
          const res = await get(url);
          expect({ url, status: res.statusCode, body: res.json() }).toEqual({
            url,
            status: 500,
            body: {
              error: 'stored_row_unreadable',
              message: `the store's anomalies row ${anomalyId} is unreadable (column ${column}): ${HINT}`,
            },
          });
          expect(res.body).not.toContain(garbage.slice(1, -1));
          expect(res.body).not.toMatch(/SELECT|JSON|Invalid/);
        }
      });
    }
  );

  it('answers the models routes with the model row named', async () => {
    const { id } = h.store.db.prepare('SELECT id FROM models WHERE target_id = ?').get(TARGET) as { id: number };
    await corrupted('models', `UPDATE models SET params = '{"token":"s3cret"' WHERE id = ${id}`, async () => {
      for (const url of ['/api/models', `/api/targets/${encodeURIComponent(TARGET)}`]) {
        const res = await get(url);
        expect({ url, status: res.statusCode, body: res.json() }).toEqual({
          url,
          status: 500,
          body: {
            error: 'stored_row_unreadable',
            message: `the store's models row ${id} is unreadable (column params): ${HINT}`,
          },
        });
        expect(res.body).not.toContain('s3cret');
      }
    });
  });

  it('answers the other routes as before', async () => {
    await corrupted('anomalies', `UPDATE anomalies SET signals = 'garbage'`, async () => {
      expect((await get('/api/watches')).statusCode).toBe(200);
      expect((await get('/api/models')).statusCode).toBe(200);
    });
    expect((await get('/api/anomalies')).statusCode).toBe(200);
  });
});
