import { documentOf, IsolationForestDocument, readDocument } from './iforestDocument';
import { averagePathLength, growTrees } from './iforestGrow';
import { Random } from './random';

export { averagePathLength };

/**
 * Isolation Forest (Liu, Ting & Zhou, ICDM 2008): anomalies are few and different, so random
 * axis-aligned splits isolate them in fewer steps than normal points. Assumes rows are i.i.d.
 * samples of normal behaviour with a small contamination. Trees live in flat typed arrays (one
 * node table for the whole forest) so scoring walks arrays and allocates nothing per row.
 */

export interface IsolationForestOptions {
  /** Number of trees (the original design: 100). */
  nEstimators?: number;
  /** Rows sub-sampled per tree (the original design: 256). */
  maxSamples?: number;
  /** Expected share of anomalies in the training rows; sets the `predict` threshold. */
  contamination?: number;
  /** Seed of the random source: the same seed and data give the same forest. */
  seed?: number;
}

/** Rows scored per pass over the trees (keeps the block's path sums in cache). */
const BLOCK = 2048;
/** Forests up to this depth are also laid out as complete trees for batch scoring. */
const COMPLETE_MAX_DEPTH = 10;

export class IsolationForest {
  private constructor(
    /** Number of feature columns a row must have. */
    readonly cols: number,
    /** Rows each tree was grown from; sets the normalising c(n). */
    readonly sampleSize: number,
    readonly contamination: number,
    /** Scores above this are anomalies (the training scores' 1 - contamination quantile). */
    readonly threshold: number,
    readonly seed: number,
    /** Depth of the deepest leaf: every walk takes exactly this many steps. */
    private readonly depth: number,
    private readonly roots: Int32Array,
    /** Split column per node, -1 for a leaf. */
    private readonly feature: Int32Array,
    /** Split value per inner node; for a leaf, its depth + c(leaf size). */
    private readonly split: Float64Array,
    /** Index of the left child; the right child is the next node. */
    private readonly child: Int32Array
  ) {
    // Walk tables: a leaf loops to itself (column 0, threshold +Infinity), so a walk is a fixed
    // number of branch-free steps, node = child + (x > threshold): a data-dependent branch per
    // node is mispredicted half the time and used to dominate scoring.
    const n = feature.length;
    this.walkFeature = new Int32Array(n);
    this.walkSplit = new Float64Array(n);
    this.walkChild = new Int32Array(n);
    this.leafValue = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const leaf = feature[i] < 0;
      this.walkFeature[i] = leaf ? 0 : feature[i];
      this.walkSplit[i] = leaf ? Infinity : split[i];
      this.walkChild[i] = leaf ? i : child[i];
      this.leafValue[i] = leaf ? split[i] : 0;
    }
    // Complete-tree tables for batch scoring (see score()): every tree padded to a complete binary
    // tree of the forest's depth in heap order, so a walk is node = 2 node + 1 + (x > threshold)
    // with no child table to load. A leaf above the bottom becomes a subtree that always goes left
    // (threshold +Infinity) down to copies of its value. Only for shallow forests (the default
    // 256-sample trees have depth <= 8: 255 inner nodes and 256 leaves, ~4 KB per tree).
    if (depth <= COMPLETE_MAX_DEPTH) {
      const inner = (1 << depth) - 1;
      const nTrees = roots.length;
      const hf = new Int32Array(nTrees * Math.max(inner, 1));
      const hs = new Float64Array(nTrees * Math.max(inner, 1));
      const hl = new Float64Array(nTrees * (inner + 1));
      const fill = (base: number, leafBase: number, h: number, node: number, level: number): void => {
        if (level === depth) {
          hl[leafBase + h - inner] = split[node];
          return;
        }
        const leaf = feature[node] < 0;
        hf[base + h] = leaf ? 0 : feature[node];
        hs[base + h] = leaf ? Infinity : split[node];
        fill(base, leafBase, 2 * h + 1, leaf ? node : child[node], level + 1);
        fill(base, leafBase, 2 * h + 2, leaf ? node : child[node] + 1, level + 1);
      };
      for (let t = 0; t < nTrees; t++) {
        fill(t * Math.max(inner, 1), t * (inner + 1), 0, roots[t], 0);
      }
      this.heapFeature = hf;
      this.heapSplit = hs;
      this.heapLeaf = hl;
    } else {
      this.heapFeature = null;
      this.heapSplit = null;
      this.heapLeaf = null;
    }
  }

  private readonly heapFeature: Int32Array | null;
  private readonly heapSplit: Float64Array | null;
  private readonly heapLeaf: Float64Array | null;

  private readonly walkFeature: Int32Array;
  private readonly walkSplit: Float64Array;
  private readonly walkChild: Int32Array;
  private readonly leafValue: Float64Array;

  /** Grows the forest on `rows` rows of `cols` columns, stored row-major in `data`. */
  static fit(data: Float64Array, rows: number, cols: number, options: IsolationForestOptions = {}): IsolationForest {
    const nTrees = options.nEstimators ?? 100;
    const contamination = options.contamination ?? 0.01;
    const seed = options.seed ?? 42;
    if (!(rows >= 2) || !(cols >= 1) || data.length < rows * cols) {
      throw new Error(
        `IsolationForest.fit needs at least 2 rows of ${cols} columns, got ${rows} rows in ${data.length} values`
      );
    }
    if (!(contamination > 0 && contamination < 0.5)) {
      throw new Error(`contamination must be in (0, 0.5), got ${contamination}`);
    }
    const sampleSize = Math.min(options.maxSamples ?? 256, rows);
    const { roots, feature, split, child, depth } = growTrees(data, rows, cols, nTrees, sampleSize, new Random(seed));
    const forest = new IsolationForest(cols, sampleSize, contamination, NaN, seed, depth, roots, feature, split, child);
    const trainScores = forest.score(data, rows);
    return forest.withThreshold(quantile(trainScores, 1 - contamination));
  }

  /** Anomaly score in (0, 1] of one row starting at `offset`: 2^(-E[h(x)] / c(sampleSize)). */
  scoreRow(data: ArrayLike<number>, offset = 0): number {
    const { roots, walkFeature, walkSplit, walkChild, leafValue, depth } = this;
    let total = 0;
    for (let t = 0; t < roots.length; t++) {
      let n = roots[t];
      for (let d = 0; d < depth; d++) {
        n = walkChild[n] + +(data[offset + walkFeature[n]] > walkSplit[n]);
      }
      total += leafValue[n];
    }
    return Math.pow(2, -total / roots.length / averagePathLength(this.sampleSize));
  }

  /**
   * Scores `rows` rows of `data` (row-major) into `out` (allocated if not given). Trees outer, rows
   * inner: one tree (~4 KB as a complete heap-ordered tree) stays in the L1 cache while a block of
   * rows walks through it, accumulating leaf values into `out`; eight rows walk together so that
   * their independent chains of loads overlap in the CPU. Nothing is allocated per row.
   */
  score(data: Float64Array, rows: number, out: Float64Array = new Float64Array(rows)): Float64Array {
    this.checkShape(data, rows);
    const hf = this.heapFeature;
    const hs = this.heapSplit;
    const hl = this.heapLeaf;
    if (hf === null || hs === null || hl === null || this.depth < 1) {
      return this.scoreLinked(data, rows, out);
    }
    const { depth, cols } = this;
    const nTrees = this.roots.length;
    const inner = (1 << depth) - 1;
    const innerStride = Math.max(inner, 1);
    const norm = -1 / nTrees / averagePathLength(this.sampleSize);
    out.fill(0, 0, rows);
    for (let from = 0; from < rows; from += BLOCK) {
      const to = Math.min(rows, from + BLOCK);
      for (let t = 0; t < nTrees; t++) {
        const b = t * innerStride;
        const lb = t * (inner + 1) - inner;
        // Every walk starts at the root: its column and threshold stay in registers.
        const rootF = hf[b];
        const rootS = hs[b];
        let r = from;
        for (; r + 8 <= to; r += 8) {
          const o0 = r * cols;
          const o1 = o0 + cols;
          const o2 = o1 + cols;
          const o3 = o2 + cols;
          const o4 = o3 + cols;
          const o5 = o4 + cols;
          const o6 = o5 + cols;
          const o7 = o6 + cols;
          let n0 = 1 + +(data[o0 + rootF] > rootS);
          let n1 = 1 + +(data[o1 + rootF] > rootS);
          let n2 = 1 + +(data[o2 + rootF] > rootS);
          let n3 = 1 + +(data[o3 + rootF] > rootS);
          let n4 = 1 + +(data[o4 + rootF] > rootS);
          let n5 = 1 + +(data[o5 + rootF] > rootS);
          let n6 = 1 + +(data[o6 + rootF] > rootS);
          let n7 = 1 + +(data[o7 + rootF] > rootS);
          for (let d = 1; d < depth; d++) {
            n0 = 2 * n0 + 1 + +(data[o0 + hf[b + n0]] > hs[b + n0]);
            n1 = 2 * n1 + 1 + +(data[o1 + hf[b + n1]] > hs[b + n1]);
            n2 = 2 * n2 + 1 + +(data[o2 + hf[b + n2]] > hs[b + n2]);
            n3 = 2 * n3 + 1 + +(data[o3 + hf[b + n3]] > hs[b + n3]);
            n4 = 2 * n4 + 1 + +(data[o4 + hf[b + n4]] > hs[b + n4]);
            n5 = 2 * n5 + 1 + +(data[o5 + hf[b + n5]] > hs[b + n5]);
            n6 = 2 * n6 + 1 + +(data[o6 + hf[b + n6]] > hs[b + n6]);
            n7 = 2 * n7 + 1 + +(data[o7 + hf[b + n7]] > hs[b + n7]);
          }
          out[r] += hl[lb + n0];
          out[r + 1] += hl[lb + n1];
          out[r + 2] += hl[lb + n2];
          out[r + 3] += hl[lb + n3];
          out[r + 4] += hl[lb + n4];
          out[r + 5] += hl[lb + n5];
          out[r + 6] += hl[lb + n6];
          out[r + 7] += hl[lb + n7];
        }
        for (; r < to; r++) {
          const o = r * cols;
          let n = 0;
          for (let d = 0; d < depth; d++) {
            n = 2 * n + 1 + +(data[o + hf[b + n]] > hs[b + n]);
          }
          out[r] += hl[lb + n];
        }
      }
      for (let r = from; r < to; r++) {
        out[r] = Math.pow(2, out[r] * norm);
      }
    }
    return out;
  }

  /**
   * The same over the linked node table, for forests too deep for complete-tree tables (a very
   * large maxSamples): one tree over a block of rows at a time, four rows walking together.
   */
  private scoreLinked(data: Float64Array, rows: number, out: Float64Array): Float64Array {
    const { roots, walkFeature, walkSplit, walkChild, leafValue, depth, cols } = this;
    const norm = -1 / roots.length / averagePathLength(this.sampleSize);
    out.fill(0, 0, rows);
    for (let from = 0; from < rows; from += BLOCK) {
      const to = Math.min(rows, from + BLOCK);
      for (let t = 0; t < roots.length; t++) {
        const root = roots[t];
        // Four rows walk together: their independent chains of loads overlap in the CPU.
        let r = from;
        for (; r + 4 <= to; r += 4) {
          const o0 = r * cols;
          const o1 = o0 + cols;
          const o2 = o1 + cols;
          const o3 = o2 + cols;
          let n0 = root;
          let n1 = root;
          let n2 = root;
          let n3 = root;
          for (let d = 0; d < depth; d++) {
            n0 = walkChild[n0] + +(data[o0 + walkFeature[n0]] > walkSplit[n0]);
            n1 = walkChild[n1] + +(data[o1 + walkFeature[n1]] > walkSplit[n1]);
            n2 = walkChild[n2] + +(data[o2 + walkFeature[n2]] > walkSplit[n2]);
            n3 = walkChild[n3] + +(data[o3 + walkFeature[n3]] > walkSplit[n3]);
          }
          out[r] += leafValue[n0];
          out[r + 1] += leafValue[n1];
          out[r + 2] += leafValue[n2];
          out[r + 3] += leafValue[n3];
        }
        for (; r < to; r++) {
          const offset = r * cols;
          let n = root;
          for (let d = 0; d < depth; d++) {
            n = walkChild[n] + +(data[offset + walkFeature[n]] > walkSplit[n]);
          }
          out[r] += leafValue[n];
        }
      }
      for (let r = from; r < to; r++) {
        out[r] = Math.pow(2, out[r] * norm);
      }
    }
    return out;
  }

  /** 1 where a row is an anomaly (score above the contamination threshold), else 0. */
  predict(data: Float64Array, rows: number, out: Uint8Array = new Uint8Array(rows)): Uint8Array {
    const scores = this.score(data, rows);
    for (let r = 0; r < rows; r++) {
      out[r] = scores[r] > this.threshold ? 1 : 0;
    }
    return out;
  }

  get treeCount(): number {
    return this.roots.length;
  }

  toJSON(): IsolationForestDocument {
    return documentOf({
      cols: this.cols,
      sampleSize: this.sampleSize,
      contamination: this.contamination,
      threshold: this.threshold,
      seed: this.seed,
      roots: Array.from(this.roots),
      feature: Array.from(this.feature),
      split: Array.from(this.split),
      child: Array.from(this.child),
    });
  }

  /** Rebuilds a forest from `toJSON()` output; throws an Error naming what is wrong otherwise. */
  static fromJSON(doc: unknown): IsolationForest {
    const t = readDocument(doc);
    return new IsolationForest(
      t.cols,
      t.sampleSize,
      t.contamination,
      t.threshold,
      t.seed,
      t.depth,
      Int32Array.from(t.roots),
      Int32Array.from(t.feature),
      Float64Array.from(t.split),
      Int32Array.from(t.child)
    );
  }

  private withThreshold(threshold: number): IsolationForest {
    return new IsolationForest(
      this.cols,
      this.sampleSize,
      this.contamination,
      threshold,
      this.seed,
      this.depth,
      this.roots,
      this.feature,
      this.split,
      this.child
    );
  }

  private checkShape(data: Float64Array, rows: number): void {
    if (data.length < rows * this.cols) {
      throw new Error(`expected ${rows} rows of ${this.cols} columns, got ${data.length} values`);
    }
  }
}

/** Linear-interpolation quantile (numpy's default), q in [0, 1]. */
export function quantile(values: Float64Array, q: number): number {
  const sorted = Float64Array.from(values).sort();
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
