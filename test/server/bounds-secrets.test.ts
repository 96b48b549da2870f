// Secrets at rest and in URLs: the data dir and database files are owner-only, the Kubernetes token
// and CA saved from Grafana are sealed (AES-256-GCM) with a key kept outside the database, and
// credentials written into a URL are refused or hidden wherever the URL is shown.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { Registry } from 'prom-client';
import { KUBE_CA_HEADER, KUBE_TOKEN_HEADER } from '../../src/contract/kubernetes';
import { HealingEngine } from '../../src/server/healing';
import { createLogger } from '../../src/server/logger';
import { createNotifier } from '../../src/server/healing/notify';
import { PrometheusClient } from '../../src/server/prometheus/client';
import { SECRET_KEY_FILE, SecretError } from '../../src/server/store/secrets';
import { DATABASE_FILE, openSqliteStore } from '../../src/server/store/sqlite';
import { serveHealingApi } from '../harness/healingApi';
import { FakeClock } from '../kube/harness';
import { SERVER_CA } from '../kube/tls';

const KUBE_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.kube-token-that-must-not-leak';
const CA = Buffer.from(SERVER_CA).toString('base64');
const PEM_BODY = SERVER_CA.split('\n')[1];
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fp-secrets-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The healing API over the store in `dir`, as main builds it, with the log lines it writes. */
async function backend(env: NodeJS.ProcessEnv = {}) {
  const logs: string[] = [];
  const logger = createLogger(
    'trace',
    new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    })
  );
  const store = openSqliteStore(join(dir, 'data'), Date.now, { env, warn: (m) => logger.warn(m) });
  const engine = await HealingEngine.open({
    store,
    clock: new FakeClock(),
    logger,
    metrics: new Registry(),
  });
  const { app, call } = await serveHealingApi(engine, store, logger);
  const close = async () => {
    await app.close();
    await engine.stop();
    store.close();
  };
  return { store, engine, call, logs, close };
}

const saveEndpoint = (b: Awaited<ReturnType<typeof backend>>, url: string) =>
  b.call(
    'PUT',
    '/api/admin/kubernetes',
    { mode: 'endpoint', url },
    { [KUBE_TOKEN_HEADER]: KUBE_TOKEN, [KUBE_CA_HEADER]: CA }
  );

/** Every byte the database left on disk: the file, its WAL and shared memory. */
function rawFiles(): Buffer {
  const db = join(dir, 'data', DATABASE_FILE);
  return Buffer.concat([db, `${db}-wal`, `${db}-shm`].filter(existsSync).map((f) => readFileSync(f)));
}

describe('the data dir and database files', () => {
  it('are created owner-only: dir 0700, database, WAL, shared memory and key 0600', async () => {
    const b = await backend();
    const data = join(dir, 'data');
    expect(mode(data)).toBe('700');
    for (const file of [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`, SECRET_KEY_FILE]) {
      expect([file, mode(join(data, file))]).toEqual([file, '600']);
    }
    await b.close();
  });

  it('are tightened when found looser, saying so once per file', async () => {
    const data = join(dir, 'data');
    mkdirSync(data, { mode: 0o755 });
    chmodSync(data, 0o755);
    const db = new Database(join(data, DATABASE_FILE));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x)');
    db.close();
    chmodSync(join(data, DATABASE_FILE), 0o644);
    const warnings: string[] = [];
    const store = openSqliteStore(data, Date.now, { warn: (m) => warnings.push(m) });
    expect(mode(data)).toBe('700');
    expect(mode(join(data, DATABASE_FILE))).toBe('600');
    expect(mode(join(data, `${DATABASE_FILE}-wal`))).toBe('600');
    expect(warnings).toEqual([
      `${data} was readable by others (mode 0755): set to 0700`,
      `${join(data, DATABASE_FILE)} was readable by others (mode 0644): set to 0600`,
    ]);
    store.close();
    const again: string[] = [];
    openSqliteStore(data, Date.now, { warn: (m) => again.push(m) }).close();
    expect(again).toEqual([]);
  });
});

describe('the Kubernetes token and CA saved from Grafana', () => {
  it('are in neither the settings rows nor the raw database files, and still work after a restart', async () => {
    const b = await backend();
    expect((await saveEndpoint(b, 'https://kube.example:6443')).statusCode).toBe(200);
    const rows = JSON.stringify(b.store.db.prepare('SELECT * FROM settings').all());
    for (const secret of [KUBE_TOKEN, CA, PEM_BODY]) {
      expect(rows).not.toContain(secret);
      expect(rawFiles().includes(secret)).toBe(false);
    }
    expect(rows).toContain('aes-256-gcm');
    await b.close();
    for (const secret of [KUBE_TOKEN, CA, PEM_BODY]) {
      expect(rawFiles().includes(secret)).toBe(false);
    }

    const restarted = await backend();
    expect(restarted.engine.kubernetes.settings()).toMatchObject({ source: 'grafana', tokenSet: true, caSet: true });
    expect(restarted.engine.kubernetes.settings().error).toBeUndefined();
    await restarted.close();
  });

  it('with FP_SECRET_KEY, are unreadable under another key: the backend says so, blocks actions, and does not crash', async () => {
    const key = randomBytes(32).toString('base64');
    const b = await backend({ FP_SECRET_KEY: key });
    expect((await saveEndpoint(b, 'https://kube.example:6443')).statusCode).toBe(200);
    await b.close();
    expect(existsSync(join(dir, 'data', SECRET_KEY_FILE))).toBe(false);

    const other = await backend({ FP_SECRET_KEY: randomBytes(32).toString('base64') });
    const settings = (await other.call('GET', '/api/kubernetes')).json();
    expect(settings).toMatchObject({ source: 'grafana', url: 'https://kube.example:6443' });
    expect(settings.error).toContain('cannot be decrypted with the key from FP_SECRET_KEY');
    expect(other.logs.join('')).toContain('Kubernetes actions are blocked until an Admin saves it again or resets it');
    // Saved again under the new key, it works.
    expect((await saveEndpoint(other, 'https://kube.example:6443')).json().error).toBeUndefined();
    await other.close();
  });

  it('a key file that went missing gives the same clear error, with a new key generated', async () => {
    const b = await backend();
    await saveEndpoint(b, 'https://kube.example:6443');
    await b.close();
    rmSync(join(dir, 'data', SECRET_KEY_FILE));
    const restarted = await backend();
    expect(restarted.engine.kubernetes.settings().error).toContain(`cannot be decrypted with the key from`);
    expect(mode(join(dir, 'data', SECRET_KEY_FILE))).toBe('600');
    await restarted.close();
  });

  it('a malformed FP_SECRET_KEY is refused at start with what it must be', () => {
    expect(() => openSqliteStore(join(dir, 'data'), Date.now, { env: { FP_SECRET_KEY: 'c2hvcnQ=' } })).toThrow(
      SecretError
    );
    expect(() => openSqliteStore(join(dir, 'data'), Date.now, { env: { FP_SECRET_KEY: 'c2hvcnQ=' } })).toThrow(
      /FP_SECRET_KEY must be 32 random bytes in base64.*it is 5 bytes/
    );
  });

  it('a row saved in plain text by an older version is sealed at start and its plain copy is gone from the files', async () => {
    const first = await backend();
    first.store.settings.set('healing.kubernetes', {
      value: { mode: 'endpoint', url: 'https://kube.example:6443', token: KUBE_TOKEN, caData: CA },
      updatedAt: 1,
      updatedBy: 'admin',
    });
    await first.close();
    expect(rawFiles().includes(KUBE_TOKEN)).toBe(true);

    const b = await backend();
    expect(b.engine.kubernetes.settings()).toMatchObject({ source: 'grafana', tokenSet: true, caSet: true });
    expect(b.engine.kubernetes.settings().error).toBeUndefined();
    expect(JSON.stringify(b.store.db.prepare('SELECT * FROM settings').all())).not.toContain(KUBE_TOKEN);
    expect(rawFiles().includes(KUBE_TOKEN)).toBe(false);
    expect(rawFiles().includes(CA)).toBe(false);
    await b.close();
    expect(rawFiles().includes(KUBE_TOKEN)).toBe(false);
  });
});

describe('credentials written into a URL', () => {
  it('a Kubernetes URL with a user and password is refused (400 naming the field) and the password is shown nowhere', async () => {
    const b = await backend();
    const res = await saveEndpoint(b, 'https://admin:hunter2-pw@kube.example:6443');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      field: 'body.url',
      message: expect.stringContaining('put credentials in the token, not the URL'),
    });
    const answers = [
      res.body,
      (await b.call('GET', '/api/kubernetes')).body,
      (await b.call('GET', '/api/audit')).body,
    ].join('\n');
    const audit = JSON.stringify(b.store.db.prepare('SELECT * FROM healing_audit').all());
    for (const text of [answers, audit, b.logs.join('')]) {
      expect(text).not.toContain('hunter2-pw');
    }
    await b.close();
  });

  it('a Prometheus or Grafana URL with a password is shown without it', async () => {
    const client = new PrometheusClient({ baseUrl: 'https://reader:hunter2-pw@prom.example:9090', timeoutMs: 1000 });
    expect(client.url).not.toContain('hunter2-pw');
    const notifier = createNotifier({ grafana: { url: 'https://svc:hunter2-pw@grafana.example', token: 't' } });
    expect(notifier.plan().summary).not.toContain('hunter2-pw');
    expect(notifier.plan().summary).toContain('https://svc:***@grafana.example');
    // Node's fetch refuses such a URL and quotes it in its error: the result recorded must not.
    const sent = await notifier.send({
      actionId: 1,
      message: 'scaled shop/cart',
      at: 0,
      trigger: {
        source: 'alert',
        id: 'a',
        name: 'KubePodCrashLooping',
        labels: {},
        severity: 'high',
        summary: 's',
        at: 0,
      } as unknown as Parameters<typeof notifier.send>[0]['trigger'],
    });
    expect(sent.ok).toBe(false);
    expect(JSON.stringify(sent)).not.toContain('hunter2-pw');
  });
});
