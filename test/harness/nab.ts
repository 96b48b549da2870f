import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** ../shared/nab beside the checkout (CI lays it there); tests that need it skip, saying so, when absent. */
export const NAB_DIR = resolve(__dirname, '..', '..', '..', 'shared', 'nab');

export function nabAvailable(): boolean {
  return existsSync(join(NAB_DIR, 'data'));
}

export function describeIfNab(name: string, fn: () => void): void {
  if (nabAvailable()) {
    describe(name, fn);
  } else {
    describe(name, () => {
      it.skip(`skipped: NAB data not found at ${NAB_DIR}`, () => undefined);
    });
    console.warn(`NAB data not found at ${NAB_DIR}: skipping "${name}"`);
  }
}

export interface NabSeries {
  timestamps: Float64Array;
  values: Float64Array;
}

/** Reads a NAB CSV (`timestamp,value`, timestamps `YYYY-MM-DD HH:MM:SS` in UTC). */
export function readNabSeries(relativePath: string): NabSeries {
  const lines = readFileSync(join(NAB_DIR, 'data', relativePath), 'utf8').trim().split('\n').slice(1);
  const timestamps = new Float64Array(lines.length);
  const values = new Float64Array(lines.length);
  lines.forEach((line, i) => {
    const [time, value] = line.split(',');
    timestamps[i] = Date.parse(`${time.replace(' ', 'T')}Z`);
    values[i] = Number(value);
  });
  return { timestamps, values };
}

/** The labelled anomaly windows of a file, as epoch-ms pairs. */
export function nabWindows(relativePath: string): Array<[number, number]> {
  const windows = JSON.parse(readFileSync(join(NAB_DIR, 'windows.json'), 'utf8')) as Record<string, Array<[string, string]>>;
  return (windows[relativePath] ?? []).map(([a, b]) => [Date.parse(`${a.replace(' ', 'T')}Z`), Date.parse(`${b.replace(' ', 'T')}Z`)]);
}
