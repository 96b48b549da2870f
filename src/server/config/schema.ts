import { z } from 'zod';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Durations in config files are Prometheus-style strings ("30s", "5m", "90d") or milliseconds. */
export const durationSchema = z.union(
  [z.number().int().nonnegative(), z.string().regex(/^(\d+(ms|s|m|h|d|w|y))+$/).transform(parseDurationMs)],
  { error: 'a duration such as "30s", "5m", "1h30m" or "90d", or a number of milliseconds' }
);

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

export function parseDurationMs(text: string): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) {
    total += Number(amount) * UNIT_MS[unit];
  }
  return total;
}

const urlSchema = z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' });

export const prometheusConfigSchema = z.strictObject({
  /** A Prometheus-compatible base URL (Prometheus, Thanos, Mimir, VictoriaMetrics). */
  url: urlSchema.optional(),
  timeout: durationSchema.default(30_000),
});

export const configSchema = z.strictObject({
  port: z.coerce.number().int().min(1).max(65535).default(3001),
  host: z.string().min(1).default('0.0.0.0'),
  /** Bearer token every /api route requires; generated into the data dir when unset. */
  apiToken: z.string().min(16, 'at least 16 characters').optional(),
  dataDir: z.string().min(1).default('./data'),
  logLevel: z.enum(logLevels).default('info'),
  prometheus: prometheusConfigSchema.default({ timeout: 30_000 }),
});

export type Config = z.infer<typeof configSchema>;
