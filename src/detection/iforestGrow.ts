import { Random } from './random';

const EULER_GAMMA = 0.5772156649015329;

/** Average path length of an unsuccessful search in a binary search tree of n points: c(n). */
export function averagePathLength(n: number): number {
  if (n <= 1) {
    return 0;
  }
  if (n === 2) {
    return 1;
  }
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** A forest's node tables: one table for all trees, roots first-node indices, depth of the deepest leaf. */
export interface GrownTrees {
  roots: Int32Array;
  /** Split column per node, -1 for a leaf. */
  feature: Int32Array;
  /** Split value per inner node; for a leaf, its depth + c(leaf size). */
  split: Float64Array;
  /** Index of the left child; the right child is the next node. */
  child: Int32Array;
  depth: number;
}

/**
 * Grows `nTrees` isolation trees, each on `sampleSize` rows drawn without replacement from the
 * `rows` rows of `cols` columns in `data` (row-major): random splits to depth log2(sampleSize).
 */
export function growTrees(
  data: Float64Array,
  rows: number,
  cols: number,
  nTrees: number,
  sampleSize: number,
  rng: Random
): GrownTrees {
  const maxDepth = Math.ceil(Math.log2(sampleSize));
  const capacity = nTrees * (2 * sampleSize - 1);
  const feature = new Int32Array(capacity);
  const split = new Float64Array(capacity);
  const child = new Int32Array(capacity);
  const roots = new Int32Array(nTrees);
  const pool = new Int32Array(rows);
  const sample = new Int32Array(sampleSize);
  const order = new Int32Array(cols);
  for (let i = 0; i < rows; i++) {
    pool[i] = i;
  }
  let nodes = 0;
  let deepest = 0;

  const grow = (node: number, from: number, to: number, depth: number): void => {
    const size = to - from;
    deepest = Math.max(deepest, depth);
    if (depth >= maxDepth || size <= 1) {
      feature[node] = -1;
      split[node] = depth + averagePathLength(size);
      return;
    }
    // Random column order; the first one that is not constant on this node splits it.
    for (let c = 0; c < cols; c++) {
      order[c] = c;
    }
    for (let tries = 0; tries < cols; tries++) {
      const pick = tries + rng.int(cols - tries);
      const col = order[pick];
      order[pick] = order[tries];
      order[tries] = col;
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = from; i < to; i++) {
        const v = data[sample[i] * cols + col];
        if (v < lo) {
          lo = v;
        }
        if (v > hi) {
          hi = v;
        }
      }
      if (!(hi > lo)) {
        continue;
      }
      let at = lo + rng.next() * (hi - lo);
      if (at >= hi) {
        at = lo;
      }
      // Partition sample[from, to) in place: values <= at first.
      let mid = from;
      for (let i = from; i < to; i++) {
        if (data[sample[i] * cols + col] <= at) {
          const t = sample[i];
          sample[i] = sample[mid];
          sample[mid] = t;
          mid++;
        }
      }
      feature[node] = col;
      split[node] = at;
      const l = nodes;
      nodes += 2;
      child[node] = l;
      grow(l, from, mid, depth + 1);
      grow(l + 1, mid, to, depth + 1);
      return;
    }
    feature[node] = -1;
    split[node] = depth + averagePathLength(size);
  };

  for (let t = 0; t < nTrees; t++) {
    // Partial Fisher-Yates: a sample without replacement.
    for (let i = 0; i < sampleSize; i++) {
      const j = i + rng.int(rows - i);
      const v = pool[j];
      pool[j] = pool[i];
      pool[i] = v;
      sample[i] = v;
    }
    roots[t] = nodes++;
    grow(roots[t], 0, sampleSize, 0);
  }

  return {
    roots,
    feature: feature.slice(0, nodes),
    split: split.slice(0, nodes),
    child: child.slice(0, nodes),
    depth: deepest,
  };
}
