import type { z } from 'zod';
import { decodeSetting } from '../rows';
import type { SecretBox } from '../secrets';
import type { SettingsRepository } from '../store';
import { saveSetting } from './audit';
import type { Database } from './database';

/**
 * Settings on PostgreSQL, shared by every replica. Secrets in them are sealed with the box's key,
 * which every replica must share (FP_SECRET_KEY). A replaced row's old version is the server's
 * to vacuum: nothing readable is in it, as secrets are sealed before they are written.
 */
export function postgresSettings(db: Database, secrets: SecretBox, now: () => number): SettingsRepository {
  return {
    secrets,
    async get<S extends z.ZodType>(key: string, schema: S): Promise<z.output<S> | undefined> {
      const { rows } = await db.query('SELECT value::text AS value FROM settings WHERE key = $1', [key]);
      return rows.length === 0 ? undefined : decodeSetting(schema, key, rows[0]);
    },
    async set<T>(key: string, value: T) {
      await saveSetting(db.query, key, value, now());
    },
  };
}
