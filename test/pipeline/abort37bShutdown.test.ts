import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reap, runBackend, type BackendRun } from '../harness/backend';
import { freePort } from '../harness/prometheus';
import { jobWatch } from '../harness/spikingFleet';
import { until } from '../healing/backend';
import { stallingPrometheus, type StallingPrometheus } from './abort37Prometheus';

// SIGTERM used to close the HTTP server first, which waits for the requests in flight: a "Retrain now"
// waiting on its retraining, whose read Prometheus held, kept the process up until the retraining's
// deadline (an hour here; Kubernetes kills a pod after 30 s). Now the pipeline is halted first: the
// retraining is cut short, its read's request closed, the caller answered, and the process exits.

const PROCESS_TIMEOUT = 240_000;
const TOKEN = 'abort37b-test-token-0123456789';

let prom: StallingPrometheus;
let dir: string;
let run: BackendRun | undefined;

beforeEach(async () => {
  // Only a retraining's read of a few targets (narrowedWatch's `and on(...)`) is held: the cycles' are answered.
  prom = await stallingPrometheus({ jobs: 3, holds: (query) => query.includes(' and on(') });
  dir = mkdtempSync(join(tmpdir(), 'fp-abort37b-'));
});

afterEach(async () => {
  try {
    await reap(run);
  } finally {
    run = undefined;
    await prom.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

it(
  'answers a "Retrain now" in flight and exits on SIGTERM without waiting for its retraining',
  async () => {
    const port = await freePort();
    const config = join(dir, 'config.yaml');
    // JSON is YAML; the client's timeout is past the retraining's deadline, so only an abort ends the read.
    writeFileSync(config, JSON.stringify({ prometheus: { url: prom.url, timeout: '3h' }, watches: [jobWatch] }));
    run = runBackend({
      FP_CONFIG: config,
      FP_PORT: String(port),
      FP_HOST: '127.0.0.1',
      FP_DATA_DIR: join(dir, 'data'),
      FP_API_TOKEN: TOKEN,
    });
    await run.started;
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      });
    await until('the first cycle to end', () => run!.output().stdout.includes('"msg":"watch w: 3 series'));
    const { targets } = (await (await api('/api/targets')).json()) as { targets: Array<{ id: string }> };
    const target = targets[0].id;

    const answer = api('/api/models/retrain', { method: 'POST', body: JSON.stringify({ target }) });
    await prom.reached();
    run.child.kill('SIGTERM');

    // Answered, not left waiting: 503, to be asked again (of another replica, or of this one once back);
    // the read's request closed.
    const res = await answer;
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(await res.json()).toMatchObject({ error: 'stopping', message: expect.stringContaining('stopping') });
    await prom.closed();
    expect(await run.exited).toBe(0);
    const messages = run
      .output()
      .stdout.split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line).msg as string);
    expect(messages).toEqual(
      expect.arrayContaining([expect.stringMatching(/^retraining stopped with the backend/), 'stopped'])
    );
  },
  PROCESS_TIMEOUT
);
