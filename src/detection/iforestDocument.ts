/** The versioned JSON document a fitted Isolation Forest is saved as, and its checks on reading. */
import { isRecord } from './shared/json';

export const IFOREST_FORMAT = 'failureprophet.isolation-forest';
export const IFOREST_VERSION = 1;

/** The versioned JSON document a fitted forest is saved as (the original `failure_prophet.joblib`). */
export interface IsolationForestDocument {
  format: typeof IFOREST_FORMAT;
  version: typeof IFOREST_VERSION;
  cols: number;
  sampleSize: number;
  contamination: number;
  threshold: number;
  seed: number;
  roots: number[];
  feature: number[];
  split: number[];
  /** Left child of each inner node; the right child follows it. */
  child: number[];
  checksum: number;
}

/** A document's fields, checked, and the depth of its deepest leaf. */
export type ForestTables = Omit<IsolationForestDocument, 'format' | 'version' | 'checksum'> & { depth: number };

/** The document of a forest's tables, with the checksum that `readDocument` verifies. */
export function documentOf(tables: Omit<ForestTables, 'depth'>): IsolationForestDocument {
  const body = {
    format: IFOREST_FORMAT,
    version: IFOREST_VERSION,
    cols: tables.cols,
    sampleSize: tables.sampleSize,
    contamination: tables.contamination,
    threshold: tables.threshold,
    seed: tables.seed,
    roots: tables.roots,
    feature: tables.feature,
    split: tables.split,
    child: tables.child,
  } as const;
  return { ...body, checksum: checksumOf(body) };
}

function fail(why: string): never {
  throw new Error(`Not a usable Isolation Forest model: ${why}`);
}

/** Checks a document read back from storage; throws an Error naming what is wrong. */
export function readDocument(doc: unknown): ForestTables {
  if (!isRecord(doc)) {
    return fail('expected a JSON object');
  }
  if (doc.format !== IFOREST_FORMAT) {
    return fail(`format is ${JSON.stringify(doc.format)}, expected "${IFOREST_FORMAT}"`);
  }
  if (doc.version !== IFOREST_VERSION) {
    return fail(
      `version ${JSON.stringify(doc.version)} is not supported (this build reads version ${IFOREST_VERSION})`
    );
  }
  const int = (k: string, min: number): number => {
    const v = doc[k];
    return typeof v === 'number' && Number.isInteger(v) && v >= min ? v : fail(`${k} must be an integer >= ${min}`);
  };
  const num = (k: string): number => {
    const v = doc[k];
    return typeof v === 'number' && Number.isFinite(v) ? v : fail(`${k} must be a finite number`);
  };
  const arr = (k: string): number[] => {
    const v = doc[k];
    const numbers: number[] = [];
    if (!Array.isArray(v)) {
      return fail(`${k} must be an array of finite numbers`);
    }
    for (const x of v) {
      numbers.push(typeof x === 'number' && Number.isFinite(x) ? x : fail(`${k} must be an array of finite numbers`));
    }
    return numbers;
  };
  const cols = int('cols', 1);
  const sampleSize = int('sampleSize', 1);
  const contamination = num('contamination');
  const threshold = num('threshold');
  const seed = int('seed', 0);
  const roots = arr('roots');
  const feature = arr('feature');
  const split = arr('split');
  const child = arr('child');
  const n = feature.length;
  if (roots.length === 0 || split.length !== n || child.length !== n) {
    fail('node arrays are empty or of different lengths');
  }
  if (
    doc.checksum !==
    documentOf({ cols, sampleSize, contamination, threshold, seed, roots, feature, split, child }).checksum
  ) {
    fail('checksum mismatch (the file was altered or truncated)');
  }
  // Children must come after their parent so that every walk ends at a leaf.
  for (let i = 0; i < n; i++) {
    const f = feature[i];
    if (!Number.isInteger(f) || f < -1 || f >= cols) {
      fail(`node ${i} splits on column ${f}, outside 0..${cols - 1}`);
    }
    if (f >= 0 && !(Number.isInteger(child[i]) && child[i] > i && child[i] + 1 < n)) {
      fail(`node ${i} has children outside the node table`);
    }
  }
  if (!roots.every((r) => Number.isInteger(r) && r >= 0 && r < n)) {
    fail('a tree root points outside the node table');
  }
  return {
    cols,
    sampleSize,
    contamination,
    threshold,
    seed,
    roots,
    feature,
    split,
    child,
    depth: depthOf(roots, feature, child),
  };
}

/** Depth of the deepest leaf, found by walking the (acyclic, checked) trees. */
function depthOf(roots: number[], feature: number[], child: number[]): number {
  let depth = 0;
  const stack = roots.map((node) => ({ node, at: 0 }));
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    depth = Math.max(depth, top.at);
    if (feature[top.node] >= 0) {
      stack.push({ node: child[top.node], at: top.at + 1 }, { node: child[top.node] + 1, at: top.at + 1 });
    }
  }
  return depth;
}

/** FNV-1a over the document's fields, so a flipped digit or truncated array is caught. */
function checksumOf(body: object): number {
  const text = JSON.stringify(body);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
