import { messageOf } from '../../utils/messageOf';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './load';
import { parseDurationMs } from './schema';

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fp-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file = (text: string) => {
    const path = join(dir, 'config.yaml');
    writeFileSync(path, text);
    return path;
  };

  it('gives the documented defaults with no file and no environment', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3001);
    expect(config.dataDir).toBe('./data');
    expect(config.apiToken).toBeUndefined();
    expect(config.prometheus).toEqual({ url: undefined, timeout: 30_000, maxResponseBytes: 32 * 1024 * 1024 });
  });

  it('reads the YAML file and lets FP_* variables override it', () => {
    const path = file('port: 4000\ndataDir: /var/lib/fp\nprometheus:\n  url: http://prom:9090\n  timeout: 10s\n');
    const config = loadConfig({ FP_CONFIG: path, FP_PORT: '5000', FP_PROMETHEUS_URL: 'https://thanos.example:10902' });
    expect(config.port).toBe(5000);
    expect(config.dataDir).toBe('/var/lib/fp');
    expect(config.prometheus).toEqual({
      url: 'https://thanos.example:10902',
      timeout: 10_000,
      maxResponseBytes: 32 * 1024 * 1024,
    });
  });

  it('keeps SQLite unless FP_DATABASE_URL (or store.url) names a PostgreSQL database, and says what a bad one must be without repeating it', () => {
    expect(loadConfig({}).store).toEqual({ url: undefined, maxConnections: 10 });
    const url = 'postgres://fp:s3cret@db.example:5432/failureprophet';
    expect(loadConfig({ FP_DATABASE_URL: url }).store.url).toBe(url);
    expect(loadConfig({ FP_CONFIG: file('store:\n  url: postgresql://db/fp\n  maxConnections: 4\n') }).store).toEqual({
      url: 'postgresql://db/fp',
      maxConnections: 4,
    });
    for (const bad of ['mysql://fp:s3cret@db/fp', 'postgres://fp:s3cret@db', 'db.example:5432']) {
      let message = '';
      try {
        loadConfig({ FP_DATABASE_URL: bad });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        message = messageOf(err);
      }
      expect(message).toBe(
        'invalid configuration:\n  - store.url (from FP_DATABASE_URL): must be a PostgreSQL URL such as postgres://user@host:5432/failureprophet'
      );
    }
  });

  it('names the variable behind a bad value', () => {
    expect(() => loadConfig({ FP_PORT: '70000' })).toThrow(/port \(from FP_PORT\): .*65535/);
    expect(() => loadConfig({ FP_API_TOKEN: 'short' })).toThrow(
      /apiToken \(from FP_API_TOKEN\): at least 16 characters/
    );
  });

  it('names every bad key of the file at once', () => {
    const path = file('port: -1\nlogLevel: loud\nprometheus:\n  timeout: soon\n');
    let message = '';
    try {
      loadConfig({ FP_CONFIG: path });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = messageOf(err);
    }
    expect(message).toContain('- port (in ');
    expect(message).toContain('- logLevel (in ');
    expect(message).toMatch(/- prometheus\.timeout .*a duration such as/);
  });

  it('refuses a missing file, broken YAML and a non-mapping document clearly', () => {
    expect(() => loadConfig({ FP_CONFIG: join(dir, 'absent.yaml') })).toThrow(
      /cannot read FP_CONFIG file .*absent\.yaml/
    );
    expect(() => loadConfig({ FP_CONFIG: file('port: [1, 2\n') })).toThrow(/is not valid YAML/);
    expect(() => loadConfig({ FP_CONFIG: file('- just\n- a list\n') })).toThrow(/must hold a YAML mapping/);
  });

  it('says where broken YAML is without quoting the lines around it, which may hold a token', () => {
    const broken = file('port: 3001\napiToken: s3cr3t-token-0123456789\n  watches: []\n');
    expect(() => loadConfig({ FP_CONFIG: broken })).toThrow(
      new ConfigError(
        `FP_CONFIG file ${broken} is not valid YAML: Nested mappings are not allowed in compact mappings at line 2, column 11`
      )
    );
  });

  it('keeps every healing record unless FP_HEALING_RETENTION_DAYS (or healing.retentionDays) names whole days', () => {
    expect(loadConfig({}).healing.retentionDays).toBe(0);
    expect(loadConfig({ FP_HEALING_RETENTION_DAYS: '30' }).healing.retentionDays).toBe(30);
    const path = file('healing:\n  retentionDays: 7\n');
    expect(loadConfig({ FP_CONFIG: path }).healing.retentionDays).toBe(7);
    expect(loadConfig({ FP_CONFIG: path, FP_HEALING_RETENTION_DAYS: '90' }).healing.retentionDays).toBe(90);
    // What could delete an audit log by mistake is refused, not read as some number.
    for (const bad of ['-1', '1.5', 'thirty', '30d', '0x10', '1e2', ' ']) {
      expect(() => loadConfig({ FP_HEALING_RETENTION_DAYS: bad })).toThrow(
        new ConfigError(
          'invalid configuration:\n  - healing.retentionDays (from FP_HEALING_RETENTION_DAYS): must be a whole number of days such as 30 (0 keeps everything)'
        )
      );
    }
    expect(() => loadConfig({ FP_CONFIG: file('healing:\n  retentionDays: -7\n') })).toThrow(
      /- healing\.retentionDays \(in .*\): must be a whole number of days/
    );
  });

  it('takes an empty file as all defaults', () => {
    expect(loadConfig({ FP_CONFIG: file('') }).port).toBe(3001);
  });
});

describe('parseDurationMs', () => {
  it('reads Prometheus-style durations', () => {
    expect(parseDurationMs('30s')).toBe(30_000);
    expect(parseDurationMs('5m')).toBe(300_000);
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('90d')).toBe(90 * 86_400_000);
  });
});

describe('loadConfig messages in plain words', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fp-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const messageFor = (env: NodeJS.ProcessEnv, text?: string): string => {
    if (text !== undefined) {
      env.FP_CONFIG = join(dir, 'config.yaml');
      writeFileSync(env.FP_CONFIG, text);
    }
    try {
      loadConfig(env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return messageOf(err);
    }
    throw new Error('the configuration was accepted');
  };

  it('says a port that is not a number must be one, without zod jargon', () => {
    const message = messageFor({ FP_PORT: 'seventy' });
    expect(message).toBe('invalid configuration:\n  - port (from FP_PORT): must be a number');
  });

  it('says a watch without queries is missing them and what they are', () => {
    const message = messageFor({}, 'watches:\n  - name: disk\n    target: [instance]\n');
    expect(message).toContain('- watches.0.queries (in ');
    expect(message).toContain(': is missing: it must be a mapping of names to values');
    expect(message).not.toMatch(/expected|received|Invalid input/);
  });

  it('names each misspelt key in full and says what is allowed', () => {
    const message = messageFor({}, 'logLevel: loud\nprometheus:\n  urll: http://x:9090\n');
    expect(message).toContain(': must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"');
    expect(message).toContain('- prometheus.urll (in ');
    expect(message).toContain(': is not a setting here (check its spelling in the configuration reference)');
  });

  it('says how far out of range a number is', () => {
    expect(messageFor({ FP_PORT: '70000' })).toContain('- port (from FP_PORT): must be at most 65535');
  });
});

describe('FP_GRAFANA_TOKEN_FILE', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fp-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the Grafana token from the file, trimmed; FP_GRAFANA_TOKEN wins over it', () => {
    const path = join(dir, 'grafana-token');
    writeFileSync(path, 'glsa_abc123\n');
    expect(loadConfig({ FP_GRAFANA_TOKEN_FILE: path }).grafana.token).toBe('glsa_abc123');
    expect(loadConfig({ FP_GRAFANA_TOKEN_FILE: path, FP_GRAFANA_TOKEN: 'direct' }).grafana.token).toBe('direct');
  });

  it('refuses a missing or empty file in one sentence naming the variable', () => {
    const absent = join(dir, 'absent');
    expect(() => loadConfig({ FP_GRAFANA_TOKEN_FILE: absent })).toThrow(
      new RegExp(`^FP_GRAFANA_TOKEN_FILE names ${absent}, which cannot be read: ENOENT`)
    );
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(() => loadConfig({ FP_GRAFANA_TOKEN_FILE: empty })).toThrow(
      `FP_GRAFANA_TOKEN_FILE names ${empty}, which is empty: it must hold the token`
    );
  });
});
