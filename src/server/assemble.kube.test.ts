import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { assembleBackend } from './assemble';
import { configSchema } from './config/schema';
import { createKubeConfig } from './kubernetes/config';
import { createLogger } from './logger';
import { createMetricsRegistry } from './metrics';
import { openSqliteStore, type SqliteStore } from './store/sqlite';
import { TestClock } from '../../test/pipeline/helpers';

// Counts how often Kubernetes access is set up from the config: each call builds another client.
jest.mock('./kubernetes/config', () => {
  const actual = jest.requireActual('./kubernetes/config');
  return { ...actual, createKubeConfig: jest.fn(actual.createKubeConfig) };
});

const quiet = createLogger('error', new Writable({ write: (_c, _e, done) => done() }));

describe('the backend assembled with Kubernetes configured', () => {
  let dir: string;
  let store: SqliteStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fp-assemble-kube-'));
    store = openSqliteStore(dir);
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds one Kubernetes client, shared by the leader Lease, the watch-sharing Leases and healing', async () => {
    const config = configSchema.parse({
      dataDir: dir,
      watches: [],
      // Nothing listens there: the membership's first heartbeat fails, which assembly survives.
      kubernetes: { mode: 'endpoint', url: 'https://127.0.0.1:9', token: 'test-token' },
      coordination: { identity: 'replica-a' },
    });
    jest.mocked(createKubeConfig).mockClear();
    const backend = await assembleBackend({
      config,
      store,
      logger: quiet,
      metrics: createMetricsRegistry(),
      clock: new TestClock(Date.UTC(2025, 5, 1)),
    });
    try {
      expect(backend.sharing).toBeDefined();
      expect(backend.leadership.role()).toBe('follower');
      expect(createKubeConfig).toHaveBeenCalledTimes(1);
    } finally {
      await backend.sharing?.stop();
    }
  });
});
