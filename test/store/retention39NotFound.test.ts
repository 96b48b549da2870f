import { mayHaveBeenPruned } from '../../src/contract/notKept';
import { assembledStores } from '../harness/assembledStores';
import { AUTH } from '../harness/server';
import { TestClock } from '../pipeline/helpers';

// Every 404 of an action or an anomaly a link or a page may still name, through the whole backend on
// each store: reading it, deciding on it, giving feedback on it. With a retention on they say how long
// such records are kept and that it may have been pruned (what the app titles "no longer kept"); with
// it off only that it is not there (the app's "not found").

const T0 = Date.parse('2025-06-01T12:00:00Z');
const stores = assembledStores('retention39notfound');

type Retentions = { detection: number; healing: number };

describe.each(['SQLite', 'PostgreSQL'] as const)('the 404 of a missing action or anomaly on %s', (kind) => {
  /** The answers for action 404 and anomaly 404, asked every way the API names them, of a backend with these retentions. */
  const answers = async (days: Retentions) => {
    const config = {
      watches: [],
      pipeline: { retentionDays: days.detection },
      healing: { retentionDays: days.healing },
    };
    const backend = await stores[kind](config, new TestClock(T0));
    try {
      const ask = async (method: 'GET' | 'POST', url: string, payload?: object) => {
        const res = await backend.app.inject({ method, url, payload, headers: { ...AUTH, 'x-grafana-user': 'ada' } });
        return { status: res.statusCode, body: res.json() };
      };
      return {
        read: await ask('GET', '/api/actions/404'),
        approve: await ask('POST', '/api/actions/404/approve', {}),
        reject: await ask('POST', '/api/actions/404/reject', {}),
        anomaly: await ask('GET', '/api/anomalies/404'),
        feedback: await ask('POST', '/api/anomalies/404/feedback', { kind: 'confirmed' }),
      };
    } finally {
      await backend.close();
    }
  };
  const notFound = (message: string) => ({ status: 404, body: { error: 'not_found', message } });

  it('says each may have been pruned, and how long such records are kept, only where its retention is on', async () => {
    const kept = await answers({ detection: 3, healing: 30 });
    const action = notFound('there is no action 404: finished actions are kept 30 days, so it may have been pruned');
    const anomaly = notFound('no anomaly with id 404: closed anomalies are kept 3 days, so it may have been pruned');
    expect(kept).toEqual({ read: action, approve: action, reject: action, anomaly, feedback: anomaly });
    expect(Object.values(kept).every(({ body }) => mayHaveBeenPruned(body.message))).toBe(true);

    const all = await answers({ detection: 0, healing: 0 });
    const missingAction = notFound('there is no action 404');
    const missingAnomaly = notFound('no anomaly with id 404');
    expect(all).toEqual({
      read: missingAction,
      approve: missingAction,
      reject: missingAction,
      anomaly: missingAnomaly,
      feedback: missingAnomaly,
    });
    expect(Object.values(all).some(({ body }) => mayHaveBeenPruned(body.message))).toBe(false);
  });
});
