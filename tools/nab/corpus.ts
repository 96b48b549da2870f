/**
 * The NAB corpus as the tools read it (`../shared/nab`: dev files, validation files, windows,
 * profiles) and one detector run over a folder of it, in process, exactly as `npm run nab` runs it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createDetectorFromConfig, DETECTOR_NAMES, isDetectorName } from '../../src/detection';
import { listDataFiles, parseTimestamp, readSeries } from './nabFiles';
import { CostProfile, probationLength, ScoredFile } from './scorer';

/** ../shared/nab beside the checkout. */
export const DEFAULT_NAB = resolve(__dirname, '..', '..', '..', 'shared', 'nab');

export interface Split {
  /** `dev` (the 24 files to tune on) or `validation` (realTraffic: to look at, never to tune on). */
  name: 'dev' | 'validation';
  data: string;
  windows: Record<string, Array<[string, string]>>;
}

export interface Corpus {
  dev: Split;
  validation: Split;
  profiles: Record<string, CostProfile>;
}

/** Reads the corpus; throws a clear error naming what is missing. */
export function readCorpus(root = DEFAULT_NAB): Corpus {
  const need = (rel: string): string => {
    const path = join(root, rel);
    if (!existsSync(path)) {
      throw new Error(`NAB corpus incomplete: ${path} not found`);
    }
    return path;
  };
  const json = (rel: string): unknown => JSON.parse(readFileSync(need(rel), 'utf8'));
  const profiles = json('profiles.json') as Record<string, { CostMatrix: CostProfile }>;
  return {
    dev: { name: 'dev', data: need('data'), windows: json('windows.json') as Split['windows'] },
    validation: {
      name: 'validation',
      data: need('validation'),
      windows: json('validation-windows.json') as Split['windows'],
    },
    profiles: Object.fromEntries(Object.entries(profiles).map(([k, v]) => [k, v.CostMatrix])),
  };
}

export interface RunOptions {
  /** Detector options as read from a search grid (besides `trainingPoints`, always the file's probation); checked by the detector's schema. */
  options?: Record<string, unknown>;
  /** Hand the detector the file's min and max, as NAB did its published detectors (never the product). */
  publishedMinmax?: boolean;
}

/** Runs a detector over every file of a split (a fresh one per file) and returns them ready to score. */
export function runSplit(name: string, split: Split, run: RunOptions = {}): ScoredFile[] {
  if (!isDetectorName(name)) {
    throw new Error(`unknown detector "${name}"; known: ${DETECTOR_NAMES.join(', ')}`);
  }
  return listDataFiles(split.data).map((rel) => {
    const s = readSeries(join(split.data, rel));
    const limits = split.windows[rel];
    if (limits === undefined) {
      throw new Error(`${split.name} windows have no entry for ${rel}`);
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of s.values) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const range = run.publishedMinmax ? { inputMin: lo, inputMax: hi } : undefined;
    const d = createDetectorFromConfig(
      name,
      { ...run.options, trainingPoints: probationLength(s.values.length) },
      range
    );
    const scores = Float64Array.from(s.values, (v, i) => d.update(s.timestamps[i], v));
    return {
      name: rel,
      timestamps: s.timestamps,
      scores,
      windows: limits.map(([a, b]) => [parseTimestamp(a), parseTimestamp(b)] as [number, number]),
    };
  });
}
