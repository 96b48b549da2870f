import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs as parseNodeArgs } from 'node:util';
import { isRecord } from '../../src/detection/shared/json';

/** `YYYY-MM-DD HH:MM:SS[.ffffff]` (NAB's timestamps, UTC) to epoch ms. */
export function parseTimestamp(text: string): number {
  const ms = Date.parse(text.trim().replace(' ', 'T') + 'Z');
  if (Number.isNaN(ms)) {
    throw new Error(`Unreadable timestamp "${text}"`);
  }
  return ms;
}

export interface NabSeries {
  timestampText: string[];
  timestamps: Float64Array;
  values: Float64Array;
  /** Extra columns by header name (e.g. anomaly_score in result files). */
  columns: Map<string, Float64Array>;
}

/** Reads a CSV whose first column is a timestamp and whose other columns are numbers. */
export function readSeries(path: string): NabSeries {
  const lines = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
  const header = lines[0].split(',').map((h) => h.trim());
  const n = lines.length - 1;
  const timestampText: string[] = new Array(n);
  const timestamps = new Float64Array(n);
  const cols = header.slice(1).map(() => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    const cells = lines[i + 1].split(',');
    timestampText[i] = cells[0];
    timestamps[i] = parseTimestamp(cells[0]);
    for (let c = 1; c < header.length; c++) {
      cols[c - 1][i] = cells[c] === undefined || cells[c] === '' ? NaN : Number(cells[c]);
    }
  }
  const columns = new Map(header.slice(1).map((h, c) => [h, cols[c]]));
  return { timestampText, timestamps, values: columns.get('value') ?? cols[0], columns };
}

/** `<category>/<file>.csv` paths of a folder in NAB's layout, sorted. */
export function listDataFiles(dataDir: string): string[] {
  const out: string[] = [];
  for (const category of readdirSync(dataDir).sort()) {
    const dir = join(dataDir, category);
    if (!statSync(dir).isDirectory()) {
      continue;
    }
    for (const file of readdirSync(dir).sort()) {
      if (file.endsWith('.csv')) {
        out.push(`${category}/${file}`);
      }
    }
  }
  return out;
}

/** A tool's options: each `--name` takes a value (`string`) or none (`boolean`). */
export type ArgSpec = Record<string, 'string' | 'boolean'>;

/**
 * A tool's `--name value` / `--name=value` / `--flag` arguments, read by node:util's strict parser: an
 * option the tool does not know is refused, not ignored (`npm run nab` once ran the default detector
 * when given an `--options` it did not read). A flag reads as ''.
 */
export function parseArgs(argv: string[], spec: ArgSpec): Map<string, string> {
  const options = Object.fromEntries(Object.entries(spec).map(([name, type]) => [name, { type }]));
  const { values } = parseNodeArgs({ args: argv, options, strict: true, allowPositionals: false });
  return new Map(Object.entries(values).map(([name, value]) => [name, value === true ? '' : String(value)]));
}

/** A JSON-object option (a detector's options), or {} when absent; refused naming the flag otherwise. */
export function jsonObjectOption(text: string | undefined, flag: string): Record<string, unknown> {
  const parsed: unknown = text ? JSON.parse(text) : {};
  if (!isRecord(parsed)) {
    throw new Error(`${flag} must be a JSON object, got ${text}`);
  }
  return parsed;
}
