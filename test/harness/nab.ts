import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseTimestamp, readSeries, type NabSeries } from '../../tools/nab/nabFiles';

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

/** Reads a NAB data file (`timestamp,value`) with the NAB tools' reader. */
export function readNabSeries(relativePath: string): NabSeries {
  return readSeries(join(NAB_DIR, 'data', relativePath));
}

/** The labelled anomaly windows of a file, as epoch-ms pairs. */
export function nabWindows(relativePath: string): Array<[number, number]> {
  const windows = JSON.parse(readFileSync(join(NAB_DIR, 'windows.json'), 'utf8')) as Record<
    string,
    Array<[string, string]>
  >;
  return (windows[relativePath] ?? []).map(([a, b]) => [parseTimestamp(a), parseTimestamp(b)]);
}
