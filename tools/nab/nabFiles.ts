import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

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

/** Minimal `--key value` argument reader. */
export function parseArgs(argv: string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) {
        args.set(a.slice(2, eq), a.slice(eq + 1));
      } else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
        args.set(a.slice(2), argv[i + 1]);
        i++;
      } else {
        // A flag (e.g. --published-minmax, --verbose) followed by another option or nothing.
        args.set(a.slice(2), '');
      }
    }
  }
  return args;
}
