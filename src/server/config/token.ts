import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './load';
import type { Config } from './schema';

export const TOKEN_FILE = 'api-token';
export const ALERT_TOKEN_FILE = 'alert-token';

export interface ResolvedToken {
  token: string;
  /** Where it came from (the configuration or a file), for the log; never the token. */
  source: string;
}

/**
 * The configured token, or one generated on first start and kept (mode 0600) in the data dir, so
 * that a fresh install is protected without any set-up. Never logs it.
 */
export function resolveToken(configured: string | undefined, dataDir: string, fileName: string): ResolvedToken {
  if (configured) {
    return { token: configured, source: 'configuration' };
  }
  const file = join(dataDir, fileName);
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 16) {
      return { token, source: file };
    }
  }
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  // A new file each time: a mode is applied only when a file is created, so a short token's file readable by
  // others would have kept its mode and shown them the new token.
  rmSync(file, { force: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return { token, source: `${file} (generated)` };
}

/**
 * Both bearer tokens: the API token (Grafana's proxy, full API) and the alert-intake token (only
 * POST /api/alerts). The same value for both would give alert senders the full API: refused.
 */
export function resolveTokens(
  config: Pick<Config, 'apiToken' | 'alertToken'>,
  dataDir: string
): { api: ResolvedToken; alerts: ResolvedToken } {
  const api = resolveToken(config.apiToken, dataDir, TOKEN_FILE);
  const alerts = resolveToken(config.alertToken, dataDir, ALERT_TOKEN_FILE);
  if (api.token === alerts.token) {
    throw new ConfigError(
      `the alert token (${alerts.source}) is the API token (${api.source}): give alert senders a token of their own (FP_ALERT_TOKEN), or leave it unset to have one generated`
    );
  }
  return { api, alerts };
}
