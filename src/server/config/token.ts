import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TOKEN_FILE = 'api-token';

/**
 * The configured API token, or one generated on first start and kept (mode 0600) in the data dir,
 * so that a fresh install is protected without any set-up. Returns where it came from, never logs it.
 */
export function resolveApiToken(configured: string | undefined, dataDir: string): { token: string; source: string } {
  if (configured) {
    return { token: configured, source: 'configuration' };
  }
  const file = join(dataDir, TOKEN_FILE);
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 16) {
      return { token, source: file };
    }
  }
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, source: `${file} (generated)` };
}
