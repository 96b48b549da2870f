import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './load';
import { ALERT_TOKEN_FILE, resolveTokens, TOKEN_FILE } from './token';

describe('resolveTokens', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fp-token-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates two different tokens into the data dir (0600) and reads the same ones back next start', () => {
    const first = resolveTokens({}, dir);
    expect(first.api.token).not.toBe(first.alerts.token);
    expect(first.api.token.length).toBeGreaterThanOrEqual(32);
    expect(first.alerts.source).toBe(`${join(dir, ALERT_TOKEN_FILE)} (generated)`);
    for (const file of [TOKEN_FILE, ALERT_TOKEN_FILE]) {
      expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
    }
    expect(readFileSync(join(dir, ALERT_TOKEN_FILE), 'utf8').trim()).toBe(first.alerts.token);
    const again = resolveTokens({}, dir);
    expect(again.api.token).toBe(first.api.token);
    expect(again.alerts).toEqual({ token: first.alerts.token, source: join(dir, ALERT_TOKEN_FILE) });
  });

  it('replaces a token file too short to use with one only its owner reads, whatever the mode of the old one', () => {
    const file = join(dir, TOKEN_FILE);
    writeFileSync(file, 'short\n');
    chmodSync(file, 0o644);
    const { api } = resolveTokens({}, dir);
    expect(api.source).toBe(`${file} (generated)`);
    expect(readFileSync(file, 'utf8').trim()).toBe(api.token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('takes FP_ALERT_TOKEN from the environment and says where it came from, not what it is', () => {
    const config = loadConfig({ FP_ALERT_TOKEN: 'alert-token-0123456789', FP_DATA_DIR: dir });
    expect(resolveTokens(config, dir).alerts).toEqual({ token: 'alert-token-0123456789', source: 'configuration' });
    expect(() => loadConfig({ FP_ALERT_TOKEN: 'short' })).toThrow(
      /alertToken \(from FP_ALERT_TOKEN\): at least 16 characters/
    );
  });

  it('refuses an alert token equal to the API token, which would give alert senders the full API', () => {
    expect(() =>
      resolveTokens({ apiToken: 'same-token-0123456789', alertToken: 'same-token-0123456789' }, dir)
    ).toThrow(ConfigError);
    writeFileSync(join(dir, ALERT_TOKEN_FILE), 'same-token-0123456789\n');
    expect(() => resolveTokens({ apiToken: 'same-token-0123456789' }, dir)).toThrow(
      /the alert token \(.*alert-token\) is the API token \(configuration\)/
    );
  });
});
